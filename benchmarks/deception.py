"""The deception study: can a linear probe on the residual stream tell a lie from an honest answer,
and how well does it hold up on new kinds of deception and on ordinary chat?

Datasets (probes.deception, seeded, no downloads): instructed pairs (an instruction to be honest or
to lie, then a true or a false fact about a city), the same with one identical true statement after
either instruction (``instructed_same``), role-play scenarios with honest and deceptive answers, and
a control set of benign chat. Activations: every token of the assistant's answer, all layers.

1. Probe: logistic on the mean answer activation of the instructed pairs, layer chosen on
   validation (split by fact), AUROC on held-out pairs; scores per token, reduced per answer by
   mean / max / last token.
2. Metrics per evaluation set and reduction: AUROC honest vs deceptive, AUROC control vs
   deceptive, recall at 1% FPR with the threshold calibrated on the control set, and the FPR that
   threshold gives on the honest answers; bootstrap 95% CIs.
3. Generalization matrix: train on each deception dataset, test on the test split of every one.
4. Defection probe without task knowledge: the difference between "Yes" and "No" after generic
   questions ("Are you doing something dangerous?"), scored on the same sets, next to the trained
   probes.
5. Deception steering: the mean deceptive-minus-honest answer activation, added to prompts asking
   for a fact about a city; p(true country) vs the multiplier, under the honest and the lying
   instruction.
6. On-policy: the model completes "The city of X is in" itself after the honest or the lying
   instruction; answers naming the true country are honest, another country deceptive; the probe
   scores them.
7. A per-token HTML view, plots, results.json; the probe and vectors saved as artifacts.

The study is the library function :func:`probes.deception.run`; this script is its command line,
the same as ``probes run deception`` (every field of :class:`probes.deception.Config` is an option).
Writes ``<out>/deception/``: results.json, report.md, plots, tokens.html and the artifacts.

Run:
    python benchmarks/deception.py --out results
    python benchmarks/deception.py --quick --out results       (the `make demo` size)
    python benchmarks/deception.py --device cuda --model Qwen/Qwen2.5-1.5B-Instruct --batch-size 64
"""

import sys

from probes.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "deception", *sys.argv[1:]]))
