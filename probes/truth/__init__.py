"""The truth-probe study (:mod:`probes.truth.study`): where a model represents whether a statement
is true. The statements come from :mod:`probes.datasets.truth` (shared with the other behaviours).

Example:
    >>> from probes.truth import Config, run
    >>> result = run(model, Config.quick(), out="results/truth")
"""

from probes.lazy import lazy_exports
from probes.truth.config import Config

__all__ = ["Config", "TruthResult", "run"]

_WHERE = {"run": "probes.truth.study", "TruthResult": "probes.truth.study", "Result": "probes.truth.study"}
__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
