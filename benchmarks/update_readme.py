"""Write the studies' latest numbers into README.md from their results.json files (never by hand).

Replaces the text between ``<!-- results:begin -->`` and ``<!-- results:end -->`` in README.md with
the summary table of every study found under the results folder (``probes run all --out <folder>``),
with the model, the sizes (quick or full) and the date of each run.

Run:
    python benchmarks/update_readme.py results/          # after `make demo`
    python benchmarks/update_readme.py results/ --check  # exit 1 if README.md is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from probes.report import Paragraph, to_markdown
from probes.runner import load_results, summary_table

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def section(folder: Path) -> str:
    results = load_results(folder)
    runs = "; ".join(
        f"{r.name}: `{r.model}`, {r.device}, {r.created_utc[:10]}, {r.seconds.get('total', 0) / 60:.1f} min"
        for r in results
    )
    blocks = [summary_table(results), Paragraph(f"Runs: {runs}. Generated from `{folder}/*/results.json`.")]
    return to_markdown(blocks).strip()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path, help="the --out folder of `probes run all`")
    parser.add_argument("--readme", type=Path, default=Path("README.md"))
    parser.add_argument("--check", action="store_true", help="only check that README.md is up to date")
    args = parser.parse_args()
    text = args.readme.read_text()
    if BEGIN not in text or END not in text:
        parser.error(f"{args.readme} has no {BEGIN} ... {END} section")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{section(args.folder)}\n{END}{tail}"
    if args.check:
        return 0 if new == text else 1
    args.readme.write_text(new)
    print(f"updated {args.readme} from {args.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
