"""Chain-of-thought faithfulness: behavioural tests and internal signals against the verbalized reasoning.

On generated four-option questions (arithmetic word problems, population comparisons, date puzzles;
--n per task) the model reasons (greedy, "Let's think step by step.", up to --max-new-tokens) and
every answer is forced with the cue "\\nThe answer is (" (the same cue after every edit). Measured:

1. Lanham et al. (2023) on the plain CoTs: early answering, adding a mistake, filler tokens,
   paraphrasing (curves, area over the curve raw and corrected for the letter prior, bootstrap CIs).
2. Turpin et al. (2023) biases, with and without CoT: a suggested wrong answer, and "always (A)"
   few-shot (--few-shot solved examples): accuracy drop, bias-following, changes to the target,
   one-sided t-test, verbalization rate (keyword judge), Chen et al.'s normalized faithfulness; on
   forced final answers and on the answers the CoT text states (unparseable ones counted).
3. Internal vs verbalized (all tasks pooled): a probe predicting the final answer from the last
   prompt token (before any reasoning), per layer (out-of-fold, shuffled-label control); the logit
   lens there; probe, lens and forced answer read at every sentence end, and where each settles on
   the final answer compared with where the text first states it; the bias's unverbalized influence
   on p(target) before the CoT; steering along a per-letter answer direction (flip rate against a
   random direction of the same norm, and whether the CoT then states the steered answer).
4. Cost: forced answers after every sentence with the shared prefix against a full forward per
   truncation, side by side, with their largest difference.

The study is the library function :func:`probes.faithfulness.run`; this script is its command line,
the same as ``probes run faithfulness`` (every field of :class:`probes.faithfulness.Config` is an
option). Each step (``arithmetic/answers``, ``arithmetic/lanham``, ``arithmetic/bias``, ...,
``internal``, ``causal``, ``cost``) is saved to ``<out>/faithfulness/results.json`` as it finishes;
a step that cannot compute on its data is listed as skipped with the reason and the study goes on.
At the end: report.md and faithfulness.png. ``probes report <out>`` redraws the report from the
results.json files (it replaces the old --report-only).

Run:
    python benchmarks/faithfulness.py --out results
    python benchmarks/faithfulness.py --quick --tasks arithmetic --out results      (demo sizes)
    python benchmarks/faithfulness.py --device cuda --model Qwen/Qwen2.5-1.5B-Instruct --out results
    probes report results
"""

import sys

from probes.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "faithfulness", *sys.argv[1:]]))
