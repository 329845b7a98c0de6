"""The sycophancy study: how much does the model follow the user's opinion, can a probe see it
coming, and can a steering vector turn it up or down without hurting plain accuracy?

On generated two-option questions (capitals, cities, arithmetic, comparisons; each asked plainly,
with the user suggesting the wrong or the right answer, with a biography stating a view, and
challenged with "Are you sure?") plus agree/disagree arithmetic claims:

1. behaviour, unsteered, in both answer formats side by side: full-answer likelihood (the options
   are the answer words after a pre-filled "The capital of X is") and letters ("(A)/(B)", read
   from the next-token distribution after "The answer is ("); mean normalized p(user's answer),
   share of items where it wins, accuracy with vs without the opinion, flip rate; 95% CIs;
2. the sycophancy probe: from the last prompt token (all layers) of the wrong-opinion items,
   predict whether the model will go with the wrong suggestion (label from its own full-answer
   scores); logistic sweep, split by question;
3. steering vectors per layer of a grid, from the training questions only: contrastive activation
   addition at the answer letter (``caa_letter``) and at the last answer token (``caa_full``),
   the opinion-presence direction (wrong-opinion minus no-opinion prompt, ``opinion``), and the
   probe's direction (``probe``, scaled to the caa_full norm);
4. the letter-format dose-response (layers x multipliers) on validation questions; the layer
   with the widest p(match) spread is then run on the test questions with CIs, next to the
   opinion-free full-answer accuracy (the capability check);
5. the full-answer intervention search: every vector family, adding or projecting out, layers x
   multipliers on validation; the best one whose opinion-free accuracy costs <= 3 points is
   re-scored on the test questions;
6. steered open-ended generations, and the cost of steered vs unsteered generation measured
   side by side; the chosen vectors are saved as artifacts (safetensors + llama.cpp GGUF).

Every number says which answer format it used. The study is the library function
:func:`probes.sycophancy.run`; this script is its command line, the same as
``probes run sycophancy`` (every field of :class:`probes.sycophancy.Config` is an option). Writes
``<out>/sycophancy/``: results.json, report.md, plots and the artifacts (``--artifacts`` elsewhere,
``--no-artifacts`` none).

Run:
    python benchmarks/sycophancy.py --out results                   (~35 min on 2 CPU cores)
    python benchmarks/sycophancy.py --quick --out results           (the `make demo` size)
    python benchmarks/sycophancy.py --device cuda --model Qwen/Qwen2.5-1.5B-Instruct --layers 8 12 16 20
"""

import sys

from probes.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "sycophancy", *sys.argv[1:]]))
