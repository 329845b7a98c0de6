"""Settings of the truth-probe study (torch-free, so the command line reads them at once)."""

from __future__ import annotations

import dataclasses
from typing import Literal

from hooks.names import SITES
from probes.study import Config as StudyConfig

PUBLISHED = ("truthfulqa",)
"""Published statement sets the study can add by name (each is swept and joins the transfer matrix)."""


def _help(text: str) -> dict:
    return {"help": text}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Config(StudyConfig):
    """Where does a model represent whether a statement is true? Probes on true/false statements."""

    format: Literal["plain", "chat"] = dataclasses.field(
        default="plain", metadata=_help("statements as plain text or inside the chat template")
    )
    n_cities: int = dataclasses.field(default=400, metadata=_help("cities (two statements each)"))
    city_pick: Literal["top", "random"] = dataclasses.field(
        default="top", metadata=_help("the n most populous cities of the pool, or a seeded random draw")
    )
    n_capitals: int = dataclasses.field(default=150, metadata=_help("capitals (transfer test)"))
    n_other: int = dataclasses.field(default=300, metadata=_help("comparisons and sums (transfer tests)"))
    published: tuple[str, ...] = dataclasses.field(
        default=(),
        metadata=_help(
            f"published statement sets to add, from {', '.join(PUBLISHED)} (truthfulqa: 489 TruthfulQA "
            "answers as statements, from the sae-probes data wheel)"
        ),
    )
    site: Literal[SITES] = dataclasses.field(  # type: ignore[valid-type]
        default="resid_post", metadata=_help("residual-stream site read at every layer")
    )
    C: float = dataclasses.field(default=0.1, metadata=_help("inverse L2 strength of the logistic probes"))
    batch_size: int = dataclasses.field(default=32, metadata=_help("prompts per forward pass"))
    speed_n: int = dataclasses.field(default=2000, metadata=_help("examples in the sweep speed check"))

    @classmethod
    def quick(cls, **changes) -> Config:
        sizes = {"n_cities": 200, "n_capitals": 100, "n_other": 150, "speed_n": 800}
        return cls(**{**sizes, **changes})

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("n_cities", "n_capitals", "n_other", "batch_size", "speed_n"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.n_cities < 10:
            raise ValueError(f"n_cities must be >= 10 (a 60/20/20 split by city), got {self.n_cities}")
        if isinstance(self.published, str):
            raise ValueError(f"published must be a tuple of names, got the string {self.published!r}")
        object.__setattr__(self, "published", tuple(self.published))
        unknown = [name for name in self.published if name not in PUBLISHED]
        if unknown or len(set(self.published)) != len(self.published):
            raise ValueError(
                f"published must be distinct names from {', '.join(PUBLISHED)}, got {list(self.published)}"
            )
        if not self.C > 0:
            raise ValueError(f"C must be > 0, got {self.C}")
        if self.site not in SITES:
            raise ValueError(f"site must be one of {', '.join(SITES)}, got {self.site!r}")
