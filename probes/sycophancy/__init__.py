"""Sycophancy: does the model follow the user's opinion over the facts, can a probe see it coming,
and can a steering vector turn it down?

- :mod:`probes.sycophancy.data`: two-option questions asked plainly and with the user pushing an
  answer (:func:`sycophancy_questions`); :mod:`probes.sycophancy.claims`: agree/disagree claims
  (:func:`false_claims`) and :func:`load_sycophancy`; :mod:`probes.sycophancy.templates`: the texts;
- :mod:`probes.choice_metrics` (core, shared with dose-response): p(user's answer), accuracy,
  flip rate per condition (:func:`sycophancy_metrics`);
- :mod:`probes.sycophancy.study`: the study as a library function (:func:`run`, :class:`Config`).

Names load on first use, so ``from probes.sycophancy import Config`` stays torch-free.

Example:
    >>> from probes.sycophancy import Config, run, sycophancy_questions
    >>> choices = sycophancy_questions("capitals", n=100)        # 600 chats, 100 questions
    >>> result = run(model, Config.quick(), out="results/sycophancy")
"""

from probes.lazy import lazy_exports
from probes.sycophancy.config import Config

_WHERE = {
    "ALL_QUESTION_CONDITIONS": "probes.sycophancy.data",
    "QUESTION_TASKS": "probes.sycophancy.data",
    "sycophancy_questions": "probes.sycophancy.data",
    "FALSE_CLAIM_CONDITIONS": "probes.sycophancy.claims",
    "SYCOPHANCY_TASKS": "probes.sycophancy.claims",
    "false_claims": "probes.sycophancy.claims",
    "load_sycophancy": "probes.sycophancy.claims",
    "item_outcomes": "probes.choice_metrics",
    "sycophancy_metrics": "probes.choice_metrics",
    "Result": "probes.sycophancy.study",
    "SycophancyResult": "probes.sycophancy.study",
    "run": "probes.sycophancy.study",
}

__all__ = ["Config", *sorted(_WHERE)]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
