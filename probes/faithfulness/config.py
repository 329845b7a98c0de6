"""Settings of the chain-of-thought faithfulness study (torch-free, so the command line reads them at once).

Example:
    >>> Config.quick(tasks=("arithmetic",)).n
    12
"""

from __future__ import annotations

import dataclasses

from probes.study import Config as StudyConfig

TASKS = ("arithmetic", "quantities", "dates")
"""The generated reasoning task sets (the keys of :data:`probes.faithfulness.tasks.REASONING_TASKS`)."""


def _help(text: str) -> dict:
    return {"help": text}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Config(StudyConfig):
    """Does the chain of thought drive the answer? Lanham tests, biased contexts, internal read-outs."""

    tasks: tuple[str, ...] = dataclasses.field(
        default=TASKS, metadata=_help(f"reasoning task sets to run, from {', '.join(TASKS)}")
    )
    bbh_tasks: tuple[str, ...] = dataclasses.field(
        default=(),
        metadata=_help(
            "BIG-Bench-Hard tasks run with the suggested-answer bias only (probes.datasets.BBH_TASKS, "
            "e.g. snarks navigate disambiguation_qa; data from `make install`)"
        ),
    )
    n: int = dataclasses.field(default=100, metadata=_help("questions per task"))
    max_new_tokens: int = dataclasses.field(
        default=80, metadata=_help("longest chain of thought generated (tokens, greedy)")
    )
    few_shot: int = dataclasses.field(default=3, metadata=_help("solved examples in the always-(A) context"))
    mistake_positions: int = dataclasses.field(default=2, metadata=_help("mistakes tried per CoT"))
    mistake_tokens: int = dataclasses.field(default=48, metadata=_help("tokens generated after a mistake"))
    n_causal: int = dataclasses.field(default=50, metadata=_help("questions per task for the steering check"))
    steer_multiplier: float = dataclasses.field(
        default=8.0, metadata=_help("multiplier of the answer direction in the steering check")
    )
    batch_size: int = dataclasses.field(default=48, metadata=_help("rows per generation batch"))
    cost_contexts: int = dataclasses.field(
        default=32, metadata=_help("CoTs timed in the cost step (shared prefix vs a forward per cut)")
    )
    cost_repeats: int = dataclasses.field(
        default=3, metadata=_help("interleaved rounds of the cost step (the median is reported)")
    )

    @classmethod
    def quick(cls, **changes) -> Config:
        """The ``make demo`` size: 2 tasks x 12 questions, CoTs of up to 32 tokens, 1 solved example,
        6 questions per task in the steering check, 8 CoTs timed once in the cost step.

        Smaller than the old ``--quick`` (3 tasks, 48-token CoTs, 2 examples, 12 questions per task
        steered, 32 CoTs timed 3 times: ~25 min on 2 CPU cores), so that ``probes run all --quick``
        stays under 20 minutes; pass the old sizes to reproduce it (``Config.quick(tasks=TASKS,
        max_new_tokens=48, mistake_tokens=24, n_causal=12, few_shot=2, cost_contexts=32,
        cost_repeats=3)``).
        """
        sizes = {
            "tasks": ("arithmetic", "dates"),
            "n": 12,
            "max_new_tokens": 32,
            "mistake_tokens": 16,
            "n_causal": 6,
            "few_shot": 1,
            "cost_contexts": 8,
            "cost_repeats": 1,
        }
        return cls(**{**sizes, **changes})

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.tasks, str):
            raise ValueError(
                f"tasks must be a tuple of task names, got the string {self.tasks!r}; use ({self.tasks!r},)"
            )
        object.__setattr__(self, "tasks", tuple(self.tasks))  # a list given in Python becomes a tuple
        unknown = [t for t in self.tasks if t not in TASKS]
        if unknown:
            raise ValueError(
                f"tasks must be a tuple from {', '.join(TASKS)}; got {tuple(self.tasks)!r}"
                + f" ({', '.join(map(str, unknown))} unknown)"
            )
        if len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"tasks names a task more than once: {tuple(self.tasks)!r}; list each once")
        self._check_bbh()
        if not self.tasks and not self.bbh_tasks:
            raise ValueError("no task to run: give tasks (generated) or bbh_tasks (BIG-Bench-Hard), or both")
        names = (
            "n",
            "max_new_tokens",
            "few_shot",
            "mistake_positions",
            "mistake_tokens",
            "n_causal",
            "batch_size",
            "cost_contexts",
            "cost_repeats",
        )
        for name in names:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(self.steer_multiplier, bool) or not isinstance(self.steer_multiplier, (int, float)):
            raise ValueError(f"steer_multiplier must be a number, got {self.steer_multiplier!r}")

    def _check_bbh(self) -> None:
        from probes.datasets.bbh import BBH_TASKS  # torch-free, like this module

        if isinstance(self.bbh_tasks, str):
            raise ValueError(f"bbh_tasks must be a tuple of task names, got the string {self.bbh_tasks!r}")
        object.__setattr__(self, "bbh_tasks", tuple(self.bbh_tasks))
        unknown = [t for t in self.bbh_tasks if t not in BBH_TASKS]
        if unknown or len(set(self.bbh_tasks)) != len(self.bbh_tasks):
            raise ValueError(
                f"bbh_tasks must be distinct names from {', '.join(BBH_TASKS)}; got {list(self.bbh_tasks)}"
            )
