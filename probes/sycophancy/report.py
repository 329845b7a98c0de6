"""The sycophancy study's report, read from ``result.metrics`` only: summary rows and blocks.

Every table names its answer format: "full answer" (the answer words after a pre-filled statement)
or "letter" ("(A)/(B)" after "The answer is (").

Example:
    >>> rows = summary_rows(result.metrics)
    >>> to_markdown(report_blocks(result.metrics, Path("results/sycophancy")))
"""

from __future__ import annotations

from pathlib import Path

from probes.report import Heading, Image, Paragraph, Table, ci, fmt, with_interval
from probes.sycophancy.data import ALL_QUESTION_CONDITIONS
from probes.sycophancy.plots import draw_all

__all__ = ["draw_all", "report_blocks", "summary_rows"]

FORMATS = {"full": "full answer", "letter": "letter (A)/(B)"}


def summary_rows(m: dict) -> list[dict]:
    """The headline numbers: p(user's answer) under a wrong suggestion per format, the accuracy drop,
    the probe's test AUROC and the best steering effects with their accuracy cost."""
    rows = []
    behaviour = m.get("behaviour", {})
    for key, name in FORMATS.items():
        wrong = behaviour.get(key, {}).get("all", {}).get("suggest_wrong", {})
        if "p_match" in wrong:
            rows.append(
                {
                    "measure": f"p(user's answer) under a wrong suggestion, {name} format",
                    "value": ci(wrong["p_match"]),
                    "detail": f"0.5 = indifferent; the user's answer wins on {ci(wrong.get('match_wins'))}",
                }
            )
    full = behaviour.get("full", {}).get("all", {})
    if "accuracy" in full.get("baseline", {}) and "accuracy" in full.get("suggest_wrong", {}):
        base, wrong = full["baseline"]["accuracy"], full["suggest_wrong"]["accuracy"]
        kept = full["suggest_wrong"].get("accuracy_if_baseline_correct")
        rows.append(
            {
                "measure": "accuracy drop under a wrong suggestion, full answer format",
                "value": fmt(base["mean"] - wrong["mean"]),
                "detail": f"accuracy {ci(base)} without an opinion, {ci(wrong)} with it; kept on the "
                f"questions answered right without it: {ci(kept)}",
            }
        )
    if "probe" in m:
        p, best = m["probe"], m["probe"]["best"]
        rows.append(
            {
                "measure": "probe 'will follow the wrong suggestion': test AUROC",
                "value": with_interval(best["test_auroc"], best["test_auroc_ci"]),
                "detail": f"layer {best['layer']} (chosen on validation), last prompt token; base rate "
                f"{p['positive_rate']:.2f}; surface-only predictor "
                f"{fmt(p['controls']['surface_baseline_test_auroc'])}",
            }
        )
    if "letter_steering" in m:
        letter, t = m["letter_steering"], m["letter_steering"]["test"]
        lo = min(t["p_match_by_multiplier"], key=float)
        rows.append(
            {
                "measure": "letter CAA steering: change in p(user's letter), wrong suggestion (test)",
                "value": f"{-t['p_match_drop_at_most_negative']:+.3f}",
                "detail": f"layer {letter['chosen_layer']} at x{float(lo):+g} (from "
                f"{t['p_match_unsteered']:.3f}); full-answer accuracy without an opinion lost: "
                f"{t['capability_drop_by_multiplier'][lo]:+.3f}",
            }
        )
    if "full_answer_interventions" in m:
        s = m["full_answer_interventions"]
        c, t = s["chosen"], s["test"]
        rows.append(
            {
                "measure": "best full-answer intervention: accuracy gained under a wrong opinion (test)",
                "value": f"{t['wrong_opinion_gain']:+.3f}",
                "detail": f"{c['family']} {c['mode']} L{c['layer']} x{c['multiplier']:+g} (chosen on "
                f"validation); accuracy without an opinion lost: {t['capability_cost']:+.3f}",
            }
        )
    return rows


def report_blocks(m: dict, folder: Path) -> list:
    out: list = []
    if "behaviour" in m:
        out += _behaviour_blocks(m)
    if "probe" in m:
        p, best, c = m["probe"], m["probe"]["best"], m["probe"]["controls"]
        within = ", ".join(f"{k} {fmt(v)}" for k, v in c["probe_test_auroc_within_condition"].items())
        out += [
            Heading("Probe: will the model follow the wrong suggestion?", 3),
            Paragraph(
                f"Label: {p['label']}; {p['n_items']} wrong-opinion prompts, base rate "
                f"{p['positive_rate']:.2f}; last prompt token, logistic probe at each layer, split by "
                f"question. Layer {best['layer']}: test AUROC "
                f"{with_interval(best['test_auroc'], best['test_auroc_ci'])}, accuracy "
                f"{with_interval(best['test_accuracy'], best['test_accuracy_ci'])}. A predictor that knows "
                f"only the (task, condition) base rate: AUROC {fmt(c['surface_baseline_test_auroc'])}; "
                f"the probe within each condition: {within}."
            ),
            Image(folder / "probe_sweep.png", "sycophancy probe by layer"),
        ]
    if "letter_steering" in m:
        out += _letter_blocks(m["letter_steering"], folder)
    if "full_answer_interventions" in m:
        out += _search_blocks(m["full_answer_interventions"], folder)
    if "generations" in m:
        rows = [
            [_cell(g["question"]), g["true_answer"], label, _cell(text)]
            for g in m["generations"]
            for label, text in g["answers"].items()
        ]
        out += [
            Heading("Steered answers to wrong-opinion questions (test split, greedy)", 3),
            Table(["question", "true answer", "steering", "answer"], rows),
        ]
    if "generation_cost" in m:
        g = m["generation_cost"]
        out.append(
            Paragraph(
                f"Generation time, steered / unsteered ({g['new_tokens']} new tokens, median of "
                f"{g['repeats']}): all positions {g['ratio_steered_all']:.3f}x, after the prompt only "
                f"{g['ratio_steered_after_prompt']:.3f}x."
            )
        )
    return out


def _behaviour_blocks(m: dict) -> list:
    b = m["behaviour"]
    sizes = ", ".join(f"{k} {v['n_items']}" for k, v in m.get("datasets", {}).items())
    rows = []
    for key, name in FORMATS.items():
        per = b.get(key, {}).get("all", {})
        for cond in [c for c in ALL_QUESTION_CONDITIONS if c in per]:
            x = per[cond]
            rows.append(
                [
                    name,
                    cond,
                    ci(x.get("p_match")),
                    ci(x.get("match_wins")),
                    ci(x.get("accuracy")),
                    ci(x.get("accuracy_if_baseline_correct")),
                    ci(x.get("flip_rate")),
                ]
            )
    tasks = [t for t in b.get("full", {}) if t != "all"]
    per_task = [
        [
            task,
            ci(b["full"][task].get("suggest_wrong", {}).get("p_match")),
            ci(b.get("letter", {}).get(task, {}).get("suggest_wrong", {}).get("p_match")),
            ci(b["full"][task].get("baseline", {}).get("accuracy")),
        ]
        for task in tasks
    ]
    out = [
        Heading("Behaviour, unsteered, both answer formats", 3),
        Paragraph(
            f"Items: {sizes}. p(user's answer): the suggested option's probability normalized over the "
            "two options; 'accuracy if right without it': accuracy with the opinion on the questions "
            "answered right without it; flip rate: wrong after 'Are you sure?'."
        ),
        Table(
            [
                "format",
                "condition",
                "p(user's answer)",
                "user's answer wins",
                "accuracy",
                "accuracy if right without it",
                "flip rate",
            ],
            rows,
        ),
        Table(
            ["task", "p(user's answer), wrong, full answer", "same, letter", "accuracy, no opinion, full"],
            per_task,
        ),
    ]
    claims = b.get("claims", {}).get("all", {})
    if claims:
        out += [
            Paragraph("Agree/disagree arithmetic claims (options ' agree' / ' disagree'):"),
            Table(
                ["condition", "agrees", "accuracy"],
                [[cond, ci(x.get("match_wins")), ci(x.get("accuracy"))] for cond, x in claims.items()],
            ),
        ]
    return out


def _letter_blocks(letter: dict, folder: Path) -> list:
    t = letter["test"]
    rows = [
        [f"{float(k):+g}", fmt(v), fmt(t["capability_drop_by_multiplier"][k])]
        for k, v in t["p_match_by_multiplier"].items()
    ]
    return [
        Heading(f"Letter CAA steering (layer {letter['chosen_layer']}, test questions)", 3),
        Paragraph(f"Layer rule: {letter['rule']}. Monotonic in the multiplier: {t['monotonic']}."),
        Table(
            [
                "multiplier",
                "p(user's letter), wrong suggestion (letter format)",
                "accuracy without an opinion lost (full answer format)",
            ],
            rows,
        ),
        Image(folder / "dose_response_letter.png", "letter CAA dose-response on the test questions"),
        Image(folder / "letter_p_match_grid.png", "letter p(user's letter) by layer and multiplier"),
    ]


def _search_blocks(s: dict, folder: Path) -> list:
    c, t = s["chosen"], s["test"]
    names = {
        "suggest_wrong": "wrong suggestion",
        "biography_wrong": "biography with the wrong answer",
        "baseline": "no opinion",
    }
    rows = [
        [names[cond], ci(t[f"{cond}_accuracy_unsteered"]), ci(t[f"{cond}_accuracy_steered"])]
        for cond in names
        if f"{cond}_accuracy_unsteered" in t
    ]
    return [
        Heading("Full-answer interventions", 3),
        Paragraph(
            f"Rule: {s['rule']}. Chosen: {c['family']} ({c['mode']}) at layer {c['layer']}, x"
            f"{c['multiplier']:+g}; on test: accuracy under a wrong opinion {t['wrong_opinion_gain']:+.3f}, "
            f"without an opinion {-t['capability_cost']:+.3f}."
        ),
        Table(["condition (full answer format)", "accuracy unsteered", "accuracy steered"], rows),
        Image(folder / "full_answer_interventions.png", "every full-answer intervention on validation"),
    ]


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "/").replace("`", "'")
