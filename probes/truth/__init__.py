"""The truth-probe study (:mod:`probes.truth.study`): where a model represents whether a statement
is true. The statements come from :mod:`probes.datasets.truth` (shared with the other behaviours).

Example:
    >>> from probes.truth import Config, run
    >>> result = run(model, Config.quick(), out="results/truth")
"""

from probes.truth.config import Config

__all__ = ["Config", "TruthResult", "run"]


def __getattr__(name: str):
    if name in ("run", "TruthResult", "Result"):
        from probes.truth import study

        return getattr(study, name)
    raise AttributeError(f"module 'probes.truth' has no attribute {name!r}")
