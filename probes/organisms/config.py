"""Settings of the organisms study (torch-free, so the command line reads them at once)."""

from __future__ import annotations

import dataclasses

from probes.organisms.spec import DEVELOPMENT, HELD_OUT, SPECS
from probes.study import Config as StudyConfig


def _help(text: str) -> dict:
    return {"help": text}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Config(StudyConfig):
    """Do the library's detectors find a behaviour whose presence is known? Organisms vs controls."""

    organisms: tuple[str, ...] = dataclasses.field(
        default=DEVELOPMENT + HELD_OUT,
        metadata=_help(f"organisms to examine, from {', '.join(SPECS)} (the base model is always added)"),
    )
    n: int = dataclasses.field(
        default=200, metadata=_help("fresh questions per organism, each asked with and without the trigger")
    )
    max_new_tokens: int = dataclasses.field(default=16, metadata=_help("tokens of each generated answer"))
    n_instructed: int = dataclasses.field(
        default=100, metadata=_help("facts of the instructed-pairs deception probe (two dialogues each)")
    )
    multipliers: tuple[float, ...] = dataclasses.field(
        default=(0.0, -2.0, -4.0, -8.0, -16.0),
        metadata=_help("multiples of the defection direction added while triggered (negative: subtracted)"),
    )
    n_steer: int = dataclasses.field(default=50, metadata=_help("triggered prompts per steering multiplier"))
    n_capability: int = dataclasses.field(
        default=200, metadata=_help("opinion-free questions in each capability check")
    )
    C: float = dataclasses.field(default=0.1, metadata=_help("inverse L2 strength of the logistic probe"))
    batch_size: int = dataclasses.field(default=16, metadata=_help("prompts per forward pass"))

    @classmethod
    def quick(cls, **changes) -> Config:
        sizes = {"n": 40, "n_instructed": 30, "multipliers": (0.0, -8.0), "n_steer": 10, "n_capability": 40}
        return cls(**{**sizes, **changes})

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("n", "max_new_tokens", "n_instructed", "n_steer", "n_capability", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.n < 8:
            raise ValueError(
                f"n must be >= 8 (questions are split in half: layer choice and test), got {self.n}"
            )
        if isinstance(self.organisms, str):
            raise ValueError(f"organisms must be a tuple of names, got the string {self.organisms!r}")
        unknown = [name for name in self.organisms if name not in SPECS]
        if unknown:
            raise ValueError(f"unknown organisms {unknown}; choose from {', '.join(SPECS)}")
        if self.C <= 0:
            raise ValueError(f"C must be > 0, got {self.C}")
