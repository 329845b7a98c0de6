"""The faithfulness study's report: summary rows and the tables of the old ``report()``, from metrics only.

Every function reads ``result.metrics`` (step name -> dict) and shows what is there: a task whose
``<task>/lanham`` step was skipped has no Lanham row, a skipped ``internal`` step no internal section.

Example:
    >>> blocks(result.metrics, result.config, folder)      # Heading / Paragraph / Table / Image blocks
"""

from __future__ import annotations

from pathlib import Path

from probes.constants import ANSWER_CUE
from probes.report import Heading, Image, Paragraph, Table, with_interval
from probes.report import ci as _ci_digits

PLOT = "faithfulness.png"
BIASES = {"suggested_answer": "suggested answer", "always_a": "always (A)"}


def _ci(stat) -> str:
    """'0.250 [0.100, 0.400] (n=12)' for a mean_ci dict; '-' when undefined."""
    return _ci_digits(stat, 3)


def _num(x, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}g}" if abs(x) < 1e-3 and x else f"{x:.{digits}f}"


def steps_of(metrics: dict, family: str) -> dict[str, dict]:
    """``task -> metrics`` of the ``<task>/<family>`` steps that finished, in run order."""
    return {k.rsplit("/", 1)[0]: v for k, v in metrics.items() if k.endswith(f"/{family}")}


def has_plot(metrics: dict) -> bool:
    """Whether anything of the figure was computed."""
    return bool(steps_of(metrics, "lanham") or steps_of(metrics, "bias") or "internal" in metrics)


def summary_rows(metrics: dict) -> list[dict]:
    """Headline rows: accuracy, early-answering AOC, bias-following, pre-CoT probe, steering."""
    rows = []
    answers = steps_of(metrics, "answers")
    if answers:
        n = sum(a["n_questions"] for a in answers.values())
        no_cot = sum(a["accuracy"]["no_cot"] * a["n_questions"] for a in answers.values()) / n
        cot = sum(a["accuracy"]["cot_forced"] * a["n_questions"] for a in answers.values()) / n
        per = ", ".join(
            f"{t} {a['accuracy']['no_cot']:.2f} / {a['accuracy']['cot_forced']:.2f}"
            for t, a in answers.items()
        )
        rows.append(
            {
                "measure": "accuracy without / with chain of thought (forced answer)",
                "value": f"{no_cot:.3f} / {cot:.3f}",
                "detail": f"{n} questions; {per}",
            }
        )
    lanham = steps_of(metrics, "lanham")
    if lanham:
        curves = {
            t: (lan["early_answering"]["curve"], lan["early_answering"]["ci"]) for t, lan in lanham.items()
        }
        rows.append(
            {
                "measure": "early answering: area over the agreement curve (Lanham et al.)",
                "value": "; ".join(
                    f"{t} {with_interval(c['aoc'], i['aoc'])}" for t, (c, i) in curves.items()
                ),
                "detail": "0 = the answer is fixed before the reasoning; letter-prior corrected: "
                + ", ".join(f"{t} {_num(c['aoc_normalized'])}" for t, (c, _) in curves.items()),
            }
        )
    bias = steps_of(metrics, "bias")
    for key, name in BIASES.items():
        shown = {t: b[key]["forced"]["cot"] for t, b in bias.items() if key in b}
        if shown:
            rows.append(
                {
                    "measure": f"{name}: bias-following with CoT (forced answers)",
                    "value": "; ".join(
                        f"{t} {_ci_digits(m.get('bias_following'))}" for t, m in shown.items()
                    ),
                    "detail": "verbalization rate of the bias-following CoTs: "
                    + "; ".join(f"{t} {_ci_digits(m.get('verbalization_rate'))}" for t, m in shown.items()),
                }
            )
    rows += _bbh_summary(metrics)
    if "internal" in metrics:
        sweep = metrics["internal"]["precot_probe"]
        k = list(sweep["layers"]).index(sweep["best_layer"])
        rows.append(
            {
                "measure": "final answer from the last prompt token (pre-CoT probe AUROC)",
                "value": with_interval(sweep["auroc"][k], sweep["auroc_ci"][k]),
                "detail": f"layer {sweep['best_layer']} (highest out-of-fold AUROC), "
                f"{sweep['n_items']} items; shuffled-label control {sweep['control_auroc'][k]:.3f}",
            }
        )
    if "causal" in metrics:
        causal = metrics["causal"]
        rows.append(
            {
                "measure": "steering along the answer direction: flip rate vs a random direction",
                "value": f"{_ci_digits(causal['answer_direction']['flip_rate'])} vs "
                f"{_ci_digits(causal['random_direction']['flip_rate'])}",
                "detail": f"layer {causal['layer']}, multiplier {causal['multiplier']}",
            }
        )
    return rows


def blocks(metrics: dict, config: dict, folder: Path) -> list:
    """The tables of the old report, one section per test family that finished."""
    tasks, bbh = config.get("tasks", []), config.get("bbh_tasks", [])
    named = ", ".join([*tasks, *(f"BBH {t}" for t in bbh)])
    always_a = f", {config.get('few_shot')} solved examples in the always-(A) context" if tasks else ""
    out: list = [
        Paragraph(
            f"{config.get('n')} questions per task ({named}), CoT up to {config.get('max_new_tokens')} "
            f'tokens (greedy){always_a}; every answer forced with the cue "\\n{ANSWER_CUE}".'
        )
    ]
    answers = steps_of(metrics, "answers")
    if answers:
        rows = [
            [
                task,
                f"{a['accuracy']['no_cot']:.3f}",
                f"{a['accuracy']['cot_forced']:.3f}",
                f"{a['accuracy']['cot_stated']:.3f}",
                f"{a['accuracy']['stated_unparseable']}/{a['n_questions']}",
                f"{a['generation']['stopped_at_eos']:.2f}",
            ]
            for task, a in answers.items()
        ]
        headers = [
            "task",
            "no CoT",
            "CoT (forced)",
            "CoT (stated)",
            "unparseable stated",
            "CoT rows ended at EOS",
        ]
        out += [Heading("Accuracy", 3), Table(headers, rows)]
    out += _lanham(steps_of(metrics, "lanham"))
    out += _bias(steps_of(metrics, "bias"))
    out += _bbh(metrics)
    if "internal" in metrics:
        out += _internal(metrics["internal"])
    if "causal" in metrics:
        out += _causal(metrics["causal"])
    if "cost" in metrics:
        cost = metrics["cost"]
        out += [
            Heading("Cost", 3),
            Paragraph(
                f"Early answering with the shared prefix costs {cost['ratio']:.3f}x the naive version "
                f"({cost['shared_seconds']:.1f} s vs {cost['naive_seconds']:.1f} s, median of "
                f"{len(cost['ratios'])} interleaved repeats, {cost['n_truncations']} truncations of "
                f"{cost['n_contexts']} contexts; largest log-prob difference "
                f"{cost['max_abs_logprob_difference']:.1e})."
            ),
        ]
    if has_plot(metrics):
        out.append(Image(folder / PLOT, "Lanham curves, bias-following and the pre-CoT answer probe"))
    return out


def _lanham(lanham: dict) -> list:
    if not lanham:
        return []

    def aoc(test, key):
        low, high = test["ci"][key] or (None, None)
        return f"{_num(test['curve'][key])} [{_num(low)}, {_num(high)}]"

    rows = []
    for task, lan in lanham.items():
        early, mis = lan["early_answering"], lan["adding_mistakes"]
        rows.append(
            [
                task,
                aoc(early, "aoc"),
                aoc(early, "aoc_normalized"),
                aoc(mis, "aoc"),
                aoc(mis, "aoc_normalized"),
                _ci(lan["filler_tokens"]["accuracy_gain"]),
                _num(lan["paraphrasing"]["agreement"]),
            ]
        )
    headers = [
        "task",
        "early answering AOC",
        "corrected",
        "adding mistakes AOC",
        "corrected",
        "filler: accuracy gain over no CoT",
        "paraphrase agreement",
    ]
    return [
        Heading("Lanham et al. tests (area over the agreement curve; letter-prior corrected next to it)", 3),
        Table(headers, rows),
    ]


def bbh_steps(metrics: dict) -> dict[str, dict]:
    """``task -> metrics`` of the ``bbh/<task>`` steps that finished, in run order."""
    return {k.split("/", 1)[1]: v for k, v in metrics.items() if k.startswith("bbh/")}


def _bbh_summary(metrics: dict) -> list[dict]:
    tasks = bbh_steps(metrics)
    if not tasks:
        return []
    pooled = metrics.get("bbh", {}).get("forced", {}).get("task_mean", {}).get("cot")
    per = "; ".join(f"{t} {_ci_digits(m['forced']['cot'].get('bias_following'))}" for t, m in tasks.items())
    if pooled is None:
        value, detail = per, "per task"
    else:
        value = _ci_digits(pooled.get("bias_following"))
        detail = f"mean over {len(tasks)} tasks (intervals resample within each task); per task: {per}"
    return [
        {
            "measure": "BIG-Bench-Hard, suggested answer: bias-following with CoT (forced answers)",
            "value": value,
            "detail": detail,
        }
    ]


def _bbh(metrics: dict) -> list:
    """The BBH tasks: accuracy with and without the bias and CoT, then the bias table."""
    tasks = bbh_steps(metrics)
    if not tasks:
        return []
    rows = []
    for task, m in tasks.items():
        f = m["forced"]
        options = ", ".join(f"{k}: {v}" for k, v in m["n_options"].items())
        rows.append(
            [
                task,
                m["n_items"],
                options,
                _ci(f["no_cot"].get("accuracy_unbiased")),
                _ci(f["no_cot"].get("accuracy_biased")),
                _ci(f["cot"].get("accuracy_unbiased")),
                _ci(f["cot"].get("accuracy_biased")),
            ]
        )
    headers = ["task", "n", "options (count: items)", "no CoT", "no CoT, biased", "CoT", "CoT, biased"]
    out = [
        Heading("BIG-Bench-Hard with a suggested wrong answer (published questions)", 3),
        Paragraph(
            'Accuracy of the forced answer ("The answer is (" over the task\'s letters), without and with '
            "the user's suggestion of a wrong letter, without and with a chain of thought."
        ),
        Table(headers, rows),
    ]
    out += _bias({f"bbh/{t}": {"suggested_answer": m} for t, m in tasks.items()})
    pooled = metrics.get("bbh", {}).get("forced")
    if pooled:
        rows = []
        for pool in ("task_mean", "item_pooled"):
            for mode in ("cot", "no_cot"):
                m = pooled.get(pool, {}).get(mode, {})
                rows.append(
                    [
                        pool.replace("_", " "),
                        "yes" if mode == "cot" else "no",
                        _ci(m.get("accuracy_drop")),
                        _ci(m.get("bias_following")),
                        _ci(m.get("verbalization_rate")),
                    ]
                )
        out += [
            Paragraph(
                f"All {len(tasks)} tasks: the mean over tasks (the papers' number; intervals resample within "
                "each task) and the items pooled. Chen et al.'s score is per task only (it depends on the "
                "number of options)."
            ),
            Table(["pooling", "CoT", "accuracy drop", "bias-following", "verbalized"], rows),
        ]
    return out


def _bias(bias: dict) -> list:
    if not bias:
        return []
    rows, influence = [], []
    for task, studies in bias.items():
        for key, study in studies.items():
            for mode in ("cot", "no_cot"):
                m = study["forced"][mode]
                chen = m.get("normalized_faithfulness", {}).get("score") if mode == "cot" else None
                rows.append(
                    [
                        task,
                        BIASES.get(key, key),
                        "yes" if mode == "cot" else "no",
                        _ci(m.get("accuracy_drop")),
                        _ci(m.get("bias_following")),
                        _ci(m.get("changed_to_target")),
                        _num(m.get("t_test", {}).get("p_value")),
                        _ci(m.get("verbalization_rate")),
                        _num(chen),
                    ]
                )
            u = study["unverbalized_influence"]
            influence.append(
                [
                    task,
                    BIASES.get(key, key),
                    _ci(u["p_target_shift"]),
                    _ci(u["internally_influenced"]),
                    _ci(u["internally_influenced_unverbalized"]),
                    _ci(u["moved_to_target"]),
                    _ci(u["moved_to_target_unverbalized"]),
                ]
            )
    headers = [
        "task",
        "bias",
        "CoT",
        "accuracy drop",
        "bias-following",
        "changed to target",
        "t-test p",
        "verbalized",
        "Chen score",
    ]
    influence_headers = [
        "task",
        "bias",
        "p(target) shift",
        "internally influenced",
        "of those unverbalized",
        "moved to target",
        "of those unverbalized",
    ]
    return [
        Heading("Biased contexts (Turpin et al.; Chen et al.), on forced final answers", 3),
        Table(headers, rows),
        Paragraph(
            "Unverbalized influence (the bias raised p(target) by >= 0.1 before any reasoning / moved the "
            "final answer to the target, and the CoT never mentions the bias):"
        ),
        Table(influence_headers, influence),
    ]


def _internal(internal: dict) -> list:
    sweep = internal["precot_probe"]
    best = sweep["best_layer"]
    k = list(sweep["layers"]).index(best)
    low, high = sweep["auroc_ci"][k] or (None, None)
    lens = internal["precot_lens_accuracy"][best]
    rows = [
        [name, _ci(s["settled_share"]), _ci(s["mean_settle_fraction"]), _ci(s.get("before_text"))]
        for name, s in internal["settle"].items()
    ]
    per_task = [
        [task, "-", "-", p["skipped"]]
        if "skipped" in p
        else [task, with_interval(p["auroc"], p["auroc_ci"]), f"{p['control']:.3f}", ""]
        for task, p in internal.get("precot_probe_per_task", {}).items()
    ]
    return [
        Heading("Internal vs verbalized", 3),
        Paragraph(
            f"Pre-CoT answer probe (last prompt token, out-of-fold, {sweep['n_items']} items): best layer "
            f"{best}, AUROC {sweep['auroc'][k]:.3f} [{_num(low)}, {_num(high)}]; shuffled-label control "
            f"{sweep['control_auroc'][k]:.3f}; majority-letter rate {sweep['majority_rate']:.3f}; "
            f"logit-lens accuracy there {lens:.3f}."
        ),
        Table(["task", f"probe AUROC at layer {best}", "shuffled-label control", "skipped"], per_task),
        Table(
            [
                "read-out",
                "settles on the final answer",
                "mean settle point (fraction of CoT)",
                "settles before the text states it",
            ],
            rows,
        ),
    ]


def _causal(causal: dict) -> list:
    rows = [
        [
            kind.replace("_", " "),
            _ci(causal[kind]["flip_rate"]),
            _ci(causal[kind]["changed_rate"]),
            _ci(causal[kind]["flipped_cot_states_target"]),
        ]
        for kind in ("answer_direction", "random_direction")
    ]
    return [
        Paragraph(
            f"Steering along the answer direction (layer {causal['layer']}, multiplier "
            f"{causal['multiplier']}, {causal['n_items']} items):"
        ),
        Table(["direction", "flip to target", "answer changed", "flipped CoT states the target"], rows),
    ]
