"""What the deception study found, read from its metrics only: summary rows, report blocks, plots.

Example:
    >>> from probes.runner import load_result
    >>> result = load_result("results/deception")      # a DeceptionResult
    >>> result.detection("roleplay")["auroc_honest_vs_deceptive"]
    >>> result.draw(Path("results/deception"))          # redraw the plots and tokens.html
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

from probes.dose import DoseResponse
from probes.plots import plot_matrix, plot_sweep
from probes.report import Heading, Image, Paragraph, Table, ci, fmt, with_interval
from probes.study import Result
from probes.token_view import save_token_view

SET_NAMES = {
    "instructed": "instructed pairs (test split)",
    "instructed_same": "instructed, same true statement",
    "roleplay": "role-play scenarios",
    "control": "control chat",
}
CONDITION_NAMES = {"honest_instruction": "told to be honest", "lie_instruction": "told to lie"}
TOKEN_VIEW = "tokens.html"


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


class DeceptionResult(Result):
    name = "deception"
    title = "Deception"

    # -- read-outs ---------------------------------------------------------------------------------
    @property
    def probe_layer(self) -> int | None:
        return self.metrics.get("probe_layer")

    def detection(self, dataset: str = "roleplay", reduction: str = "mean") -> dict:
        """The detection report of one evaluation set and reduction: ``{metric: {"mean", "ci", "n"}}``."""
        return self.metrics["detection"][dataset][reduction]

    def _short(self) -> str:
        return self.model.split("/")[-1]

    def _n(self, name: str) -> int | None:
        return self.metrics.get("datasets", {}).get(name, {}).get("n")

    def _fpr(self) -> str:
        return f"{100 * self.config.get('fpr', 0.01):g}%"

    # -- report ------------------------------------------------------------------------------------
    def summary(self) -> list[dict]:
        rows = []
        sweeps = self.metrics.get("sweeps", {})
        if "instructed" in sweeps and self.probe_layer is not None:
            swept = sweeps["instructed"]
            i = swept["layers"].index(self.probe_layer)
            rows.append(
                {
                    "measure": "deception probe on instructed pairs: test AUROC",
                    "value": with_interval(swept["test_auroc"][i], swept["test_auroc_ci"][i]),
                    "detail": f"layer {self.probe_layer} (chosen on validation); mean over answer tokens",
                }
            )
        for name, by in self.metrics.get("detection", {}).items():
            m = by["mean"]
            rows.append(
                {
                    "measure": f"{SET_NAMES.get(name, name)}: AUROC honest vs deceptive",
                    "value": ci(m["auroc_honest_vs_deceptive"]),
                    "detail": f"control vs deceptive {ci(m['auroc_control_vs_deceptive'])}",
                }
            )
            rows.append(
                {
                    "measure": f"{SET_NAMES.get(name, name)}: recall at {self._fpr()} FPR on control chat",
                    "value": ci(m["recall"]),
                    "detail": f"control FPR {ci(m['control_fpr'])}; honest flagged {ci(m['honest_fpr'])}",
                }
            )
        comparison = self.metrics.get("defection", {}).get("comparison")
        if comparison:
            names = list(comparison)
            rows.append(
                {
                    "measure": "defection probe (Yes minus No, no task data): AUROC honest vs deceptive",
                    "value": " / ".join(fmt(_number(comparison[n]["defection_probe_auroc"])) for n in names),
                    "detail": f"{' / '.join(names)} at the probe layer; trained probe "
                    + " / ".join(fmt(_number(comparison[n]["trained_probe_auroc"])) for n in names),
                }
            )
        return rows

    def blocks(self, folder: Path) -> list:
        out: list = []
        m = self.metrics
        if "sweeps" in m:
            sizes = ", ".join(
                f"{k} {v['n']} ({v['n_deceptive']} deceptive)" for k, v in m.get("datasets", {}).items()
            )
            out += [
                Heading("Probe by layer", 3),
                Paragraph(
                    f"Dialogues: {sizes}. Activations at every answer token; the probe is logistic on the "
                    "mean answer activation, split 60/20/20 by fact or scenario instance, layer chosen on "
                    f"validation: **{self.probe_layer}**."
                ),
                Image(folder / "sweep_instructed.png", "deception probe on instructed pairs, by layer"),
            ]
        if "detection" in m:
            rows = [
                [
                    SET_NAMES.get(name, name),
                    how,
                    ci(r["auroc_honest_vs_deceptive"]),
                    ci(r["auroc_control_vs_deceptive"]),
                    ci(r["recall"]),
                    ci(r["honest_fpr"]),
                    ci(r["control_fpr"]),
                ]
                for name, by in m["detection"].items()
                for how, r in by.items()
            ]
            fpr = self._fpr()
            out += [
                Heading(f"Detection at layer {self.probe_layer}", 3),
                Paragraph(
                    f"Per-token scores reduced per answer (mean, max, last token). The threshold flags {fpr} "
                    "of the control answers; recall is the share of deceptive answers above it, honest FPR "
                    "the share of honest answers (in deception contexts) above it."
                ),
                Table(
                    [
                        "set",
                        "reduction",
                        "AUROC honest vs deceptive",
                        "AUROC control vs deceptive",
                        f"recall at {fpr} FPR",
                        "honest FPR",
                        "control FPR",
                    ],
                    rows,
                ),
            ]
        if "defection" in m:
            d = m["defection"]
            rows = [
                [
                    SET_NAMES.get(name, name),
                    fmt(_number(c["trained_probe_auroc"])),
                    fmt(_number(c["defection_probe_auroc"])),
                    fmt(_number(c["defection_best_layer_auroc"])),
                ]
                for name, c in d["comparison"].items()
            ]
            out += [
                Heading("Defection probe without task data", 3),
                Paragraph(
                    'The direction act("Yes") - act("No") after generic questions ('
                    + "; ".join(f'"{q}"' for q in d["questions"])
                    + "), used as a probe (mean over the answer)."
                ),
                Table(
                    [
                        "set",
                        "trained probe AUROC",
                        f"defection AUROC (layer {d['layer']})",
                        "defection, best layer",
                    ],
                    rows,
                ),
            ]
        if "generalization" in m:
            g = m["generalization"]
            rows = [[name, *[fmt(v) for v in row]] for name, row in zip(g["datasets"], g["auroc"])]
            out += [
                Heading("Generalization: train on a row, AUROC on the test split of a column", 3),
                Table(["trained on", *g["datasets"]], rows),
                Image(folder / "generalization.png", "generalization AUROC"),
            ]
        if "steering" in m:
            s = m["steering"]
            multipliers = list(next(iter(s["p_true_by_multiplier"].values()), {}))
            rows = [
                [CONDITION_NAMES.get(cond, cond), *[fmt(_number(curve[k])) for k in multipliers]]
                for cond, curve in s["p_true_by_multiplier"].items()
            ]
            out += [
                Heading(f"Steering with the deception vector (layer {s['layer']})", 3),
                Paragraph('p(true country) after "The city of X is in" on the test facts, by multiplier.'),
                Table(["instruction", *[f"{float(k):g}" for k in multipliers]], rows),
                Image(folder / "steering_truth.png", "p(true country) against the steering multiplier"),
            ]
        if "on_policy" in m:
            p = m["on_policy"]
            rates = p["by_instruction"]
            aurocs = "; ".join(
                f"probe AUROC {what} {fmt(_number(p[key]))}"
                for key, what in (
                    ("auroc_vs_content", "vs content"),
                    ("auroc_vs_instruction", "vs instruction"),
                )
                if key in p
            )
            out += [
                Heading("On-policy answers", 3),
                Paragraph(
                    f"{p['n_generated']} answers generated, {p['n_labelled']} name a country "
                    f"({p['n_honest']} true, {p['n_deceptive']} false). False-country rate: told to lie "
                    f"{fmt(_number(rates['lie_instruction_false_rate']))}, told to be honest "
                    f"{fmt(_number(rates['honest_instruction_false_rate']))}. "
                    f"{aurocs or 'No AUROC: one class only.'}"
                ),
            ]
        if "token_view" in m:
            out.append(Paragraph(f"Per-token probe scores: [{TOKEN_VIEW}]({TOKEN_VIEW})."))
        return out

    # -- plots -------------------------------------------------------------------------------------
    def draw(self, folder: Path) -> list[Path]:
        folder = Path(folder)
        m, model, paths = self.metrics, self._short(), []
        if "instructed" in m.get("sweeps", {}):
            title = f"{model}: deception probe on instructed pairs (n={self._n('instructed')}), by layer"
            paths.append(
                plot_sweep(
                    SimpleNamespace(**m["sweeps"]["instructed"]), folder / "sweep_instructed.png", title
                )
            )
        if "generalization" in m:
            g = m["generalization"]
            names = [f"{name} (n={self._n(name)})" for name in g["datasets"]]
            title = (
                f"{model}: deception probe AUROC\n"
                "train on row (its validation layer), test on column (test split)"
            )
            paths.append(
                plot_matrix(g["auroc"], names, names, folder / "generalization.png", title, label="AUROC")
            )
        if "steering" in m:
            paths.append(self._draw_steering(folder / "steering_truth.png"))
        if "token_view" in m:
            title = f"{model}: deception probe score per answer token (layer {self.probe_layer})"
            paths.append(save_token_view(m["token_view"]["rows"], folder / TOKEN_VIEW, title=title))
        return paths

    def _draw_steering(self, path: Path) -> Path:
        from probes.deception.plots import plot_steering

        s = self.metrics["steering"]
        dose = DoseResponse(**s["rows"])
        curves, n = {}, None
        for cond in CONDITION_NAMES:
            multipliers, rows = dose.curve("truth", cond, "p_match", s["layer"])
            curves[CONDITION_NAMES[cond]] = (multipliers, rows)
            n = rows[0].get("n") if rows else n
        title = f"{self._short()}: deception vector at layer {s['layer']}, city facts (n={n} per instruction)"
        return plot_steering(curves, path, title=title, ylabel="p(true country), mean over test facts")
