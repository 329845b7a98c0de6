"""Settings of the deception study (torch-free, so the command line reads them at once).

Example:
    >>> from probes.deception.config import Config
    >>> Config.quick().n_instructed, Config().multipliers
    (60, (-8.0, -4.0, 0.0, 4.0, 8.0))
"""

from __future__ import annotations

import dataclasses

from probes.study import Config as StudyConfig

REDUCTIONS = ("mean", "max", "last")
"""How per-token probe scores become one score per answer."""


def _help(text: str) -> dict:
    return {"help": text}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Config(StudyConfig):
    """Can a probe tell a lie from an honest answer, on new kinds of deception and on ordinary chat?"""

    n_instructed: int = dataclasses.field(
        default=200, metadata=_help("honest/lying pairs under an instruction (city facts)")
    )
    n_roleplay: int = dataclasses.field(
        default=120, metadata=_help("role-play scenarios (held-out generalisation)")
    )
    n_control: int = dataclasses.field(
        default=200, metadata=_help("ordinary chat prompts that calibrate the false-positive rate")
    )
    multipliers: tuple[float, ...] = dataclasses.field(
        default=(-8.0, -4.0, 0.0, 4.0, 8.0), metadata=_help("steering multipliers of the deception vector")
    )
    on_policy: int = dataclasses.field(
        default=40, metadata=_help("instructed test prompts the model answers itself (0: skip)")
    )
    C: float = dataclasses.field(default=0.1, metadata=_help("inverse L2 strength of the logistic probes"))
    fpr: float = dataclasses.field(
        default=0.01, metadata=_help("false-positive rate on the control set that sets the threshold")
    )
    reductions: tuple[str, ...] = dataclasses.field(
        default=REDUCTIONS, metadata=_help("per-answer reductions of token scores (mean, max, last)")
    )
    batch_size: int = dataclasses.field(default=16, metadata=_help("prompts per forward pass"))

    @classmethod
    def quick(cls, **changes) -> Config:
        sizes = {
            "n_instructed": 60,
            "n_roleplay": 40,
            "n_control": 100,
            "on_policy": 10,
            "multipliers": (-8.0, 0.0, 8.0),
        }
        return cls(**{**sizes, **changes})

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("n_instructed", "n_roleplay", "n_control", "batch_size", "on_policy"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or value < (0 if name == "on_policy" else 1)
            ):
                least = "a non-negative" if name == "on_policy" else "a positive"
                raise ValueError(f"{name} must be {least} integer, got {value!r}")
        for name in ("n_instructed", "n_roleplay"):
            if getattr(self, name) < 3:
                raise ValueError(
                    f"{name} must be >= 3 (a 60/20/20 split by group needs 3 groups), "
                    f"got {getattr(self, name)}"
                )
        if self.n_control < 2:
            raise ValueError(f"n_control must be >= 2 (a false-positive threshold), got {self.n_control}")
        if not self.C > 0:
            raise ValueError(f"C must be > 0, got {self.C}")
        if not 0 < self.fpr < 1:
            raise ValueError(f"fpr must be in (0, 1), e.g. 0.01 for 1%, got {self.fpr}")
        multipliers = tuple(self.multipliers)
        if not multipliers or not all(
            isinstance(m, (int, float)) and not isinstance(m, bool) for m in multipliers
        ):
            raise ValueError(
                "multipliers must be a non-empty tuple of numbers such as (-8, 0, 8), "
                f"got {self.multipliers!r}"
            )
        object.__setattr__(self, "multipliers", tuple(float(m) for m in multipliers))
        reductions = tuple(self.reductions)
        unknown = [r for r in reductions if r not in REDUCTIONS]
        if unknown or "mean" not in reductions or len(set(reductions)) != len(reductions):
            raise ValueError(
                f"reductions must be distinct values of {REDUCTIONS} including 'mean' (the headline and "
                f"the defection comparison read it), got {self.reductions!r}"
            )
        object.__setattr__(self, "reductions", reductions)
