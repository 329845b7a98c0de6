"""Settings of the twins study (torch-free, so the command line reads them at once)."""

from __future__ import annotations

import dataclasses

from probes.study import Config as StudyConfig

PAIRS = ("sycophancy", "cue", "reasoning")
"""The twin pairs: sycophant / steadfast, cue-verbalizing / cue-silent, post-hoc / computed."""


def _help(text: str) -> dict:
    return {"help": text}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Config(StudyConfig):
    """Do the library's sycophancy metrics tell a sycophant from its steadfast twin?"""

    pairs: tuple[str, ...] = dataclasses.field(
        default=PAIRS,
        metadata=_help("twin pairs to run: sycophancy, cue (CoT cue twins), reasoning (post-hoc / computed)"),
    )
    n: int = dataclasses.field(
        default=200, metadata=_help("fresh known facts, each asked plainly and with right and wrong views")
    )
    n_fit: int = dataclasses.field(
        default=200, metadata=_help("training facts the base model's probe and steering vector come from")
    )
    layers: tuple[int, ...] = dataclasses.field(
        default=(6, 12, 18, 24),
        metadata=_help("layers of the base model's CAA vector (one is chosen) and of the pre-CoT probe"),
    )
    multipliers: tuple[float, ...] = dataclasses.field(
        default=(0.0, -2.0, -4.0, -6.0, -8.0),  # -6: the drop jumps between -4 and -8
        metadata=_help("multiples of the CAA vector added to the sycophant (negative: against the user)"),
    )
    n_capability: int = dataclasses.field(
        default=200, metadata=_help("opinion-free questions in each capability check")
    )
    max_capability_cost: float = dataclasses.field(
        default=0.03, metadata=_help("largest capability loss a chosen steering layer may cost")
    )
    n_cot: int = dataclasses.field(
        default=100, metadata=_help("fresh reasoning questions per CoT twin pair (each with both cues)")
    )
    max_cot_tokens: int = dataclasses.field(default=64, metadata=_help("longest generated reasoning"))
    C: float = dataclasses.field(default=0.1, metadata=_help("inverse L2 strength of the logistic probe"))
    batch_size: int = dataclasses.field(default=16, metadata=_help("prompts per forward pass"))

    @classmethod
    def quick(cls, **changes) -> Config:
        sizes = {
            "n": 40,
            "n_fit": 40,
            "layers": (6, 18),
            "multipliers": (0.0, -4.0),
            "n_capability": 40,
            "n_cot": 20,
        }
        return cls(**{**sizes, **changes})

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.pairs, str):
            raise ValueError(
                f"pairs must be a tuple of names, got the string {self.pairs!r}; use ({self.pairs!r},)"
            )
        object.__setattr__(self, "pairs", tuple(self.pairs))
        if not self.pairs or not set(self.pairs) <= set(PAIRS) or len(set(self.pairs)) != len(self.pairs):
            raise ValueError(f"pairs must be distinct names from {', '.join(PAIRS)}, got {self.pairs}")
        for name in ("n", "n_fit", "n_capability", "batch_size", "n_cot", "max_cot_tokens"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.n < 8:
            raise ValueError(f"n must be >= 8 (half the facts choose the layer, half test it), got {self.n}")
        if not self.layers or any(
            isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in self.layers
        ):
            raise ValueError(f"layers must be non-negative integers, got {self.layers}")
        if 0.0 not in self.multipliers or len(self.multipliers) < 2:
            raise ValueError(
                f"multipliers must include 0 (unsteered) and another value, got {self.multipliers}"
            )
        if not 0 <= self.max_capability_cost <= 1:
            raise ValueError(f"max_capability_cost must be in [0, 1], got {self.max_capability_cost}")
        if self.C <= 0:
            raise ValueError(f"C must be > 0, got {self.C}")
