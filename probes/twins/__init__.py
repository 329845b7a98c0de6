"""Metric validation on twin organisms: each of the library's metrics must separate a pair of models
trained on the same prompts whose behaviour differs by construction (model organisms, part 2).

- :mod:`~probes.twins.config`: :class:`Config` (``probes run twins``);
- :mod:`~probes.twins.study`: :func:`run`, the sycophancy metrics on ``sycophant`` vs ``steadfast``;
- :mod:`~probes.twins.cot_steps`: the faithfulness metrics on ``cue-verbalizing`` vs ``cue-silent``
  and on ``post-hoc`` vs ``computed``;
- :mod:`~probes.twins.result`: the validation table, one block of rows per pair.

Example:
    >>> from probes.twins import Config, run
    >>> result = run(model, Config.quick(), out="results/twins")
    >>> result.metrics["sycophant"]["sycophancy"]["full"]["suggest_wrong"]["p_match"]["mean"]
"""

from probes.lazy import lazy_exports

_WHERE = {
    "Config": "probes.twins.config",
    "run": "probes.twins.study",
    "Result": "probes.twins.study",
    "TwinsResult": "probes.twins.result",
}

__all__ = sorted(_WHERE)

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
