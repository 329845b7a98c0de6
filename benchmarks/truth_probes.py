"""The truth-probe study: where does a model represent whether a statement is true?

On generated true/false statements (cities, negated cities, capitals, comparisons, arithmetic) it
extracts last-token residual activations at every layer, then:

1. sweeps a logistic and a difference-of-means probe over layers on a split by group (60/20/20,
   seeded; a city's true and false statement stay together), picks the layer on validation and
   reports held-out test accuracy and AUROC with 95% bootstrap intervals;
2. tests negation: a probe trained on affirmative cities only, scored on negated ones, versus one
   trained on both forms, scored on each held-out form;
3. fills the transfer matrix: train on each dataset (at its validation-chosen layer), test on the
   test split of every dataset;
4. times the batched sweep against a loop of scikit-learn fits on the same data, side by side;
5. saves the cities probes as artifacts.

The study is the library function :func:`probes.truth.run`; this script is its command line, the
same as ``probes run truth`` (every field of :class:`probes.truth.Config` is an option). Writes
``<out>/truth/``: results.json, report.md, plots and the probe artifacts.

Run:
    python benchmarks/truth_probes.py --out results                 (~3 min on 2 CPU cores)
    python benchmarks/truth_probes.py --quick --n-cities 100 --out results
    python benchmarks/truth_probes.py --device cuda --dtype bfloat16 --model Qwen/Qwen2.5-1.5B-Instruct
"""

import sys

from probes.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "truth", *sys.argv[1:]]))
