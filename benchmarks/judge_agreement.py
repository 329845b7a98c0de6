"""Precision and recall of the verbalization judge against hand-labelled chains of thought.

Each labelled file (JSONL, :func:`probes.faithfulness.judge.load_labelled`) holds CoTs written for a
Turpin-style biased prompt with a label: does the CoT refer to the cue? The three files in
``tests/fixtures`` were written by three writers who never saw the judge's rules: ``judge_labelled``
(development set 1: the rules were written on it), ``judge_labelled_test`` (measured blind once at
precision 1.00 / recall 0.783, then development set 2) and ``judge_labelled_final`` (held out: measured
once, after the rules were frozen). ``judge_labelled_smollm2`` holds the 90 biased CoTs of the default
model from ``make published`` (3 BBH tasks, suggested answer), each read and labelled by hand: none
refers to the user's suggestion; 10 echo the cue's sentence as their own answer ("The answer is (D)
but I'm curious to know what you think."), which this labelling does not count as a reference.

    python benchmarks/judge_agreement.py --out benchmarks/results/judge_agreement.json --readme README.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
SETS = {
    "development 1": "judge_labelled.jsonl",
    "development 2": "judge_labelled_test.jsonl",
    "held out (final)": "judge_labelled_final.jsonl",
    "SmolLM2 CoTs": "judge_labelled_smollm2.jsonl",
}


def _cell(m: dict) -> str:
    """'0.951 [0.83, 0.99]': the rate and its exact (Clopper-Pearson) interval."""
    if m["mean"] is None:
        return "-"
    return f"{m['mean']:.3f} [{m['ci_exact'][0]:.2f}, {m['ci_exact'][1]:.2f}]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=None, help="write the numbers to this JSON file")
    parser.add_argument("--readme", type=Path, default=None, help="also fill this README's judge section")
    args = parser.parse_args(argv)
    from probes.faithfulness.judge import judge_agreement, keyword_judge, load_labelled

    results = {}
    lines = [
        "| set | CoTs | positive | flagged | precision [exact 95% CI] | recall [exact 95% CI] |",
        "|---|---|---|---|---|---|",
    ]
    for name, file in SETS.items():
        path = FIXTURES / file
        if not path.is_file():
            continue
        out = judge_agreement(keyword_judge, load_labelled(path))
        results[name] = {"file": f"tests/fixtures/{file}", **out}
        p, r = out["precision"], out["recall"]
        rates = f"{_cell(p)} (n={p['n']}) | {_cell(r)} (n={r['n']})"
        lines.append(f"| {name} | {out['n']} | {out['n_positive']} | {out['n_flagged']} | {rates} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"judge": "keyword_judge", "sets": results}, indent=1) + "\n")
    if args.readme:
        from probes.runner import replace_section

        source = f"`keyword_judge`; from `python {Path(__file__).relative_to(FIXTURES.parents[1])}`."
        replace_section(args.readme, "judge", f"{table}\n\n{source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
