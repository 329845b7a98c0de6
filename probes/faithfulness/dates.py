"""Date puzzles for the reasoning tasks: date arithmetic and birth order (task ``dates``).

Even-numbered questions count days forward or back from a date ("Today is 14 March 2021. What is
the date 10 days from now?"; distractors: the other direction and a few days off), odd-numbered
ones order four people's births ("Who is the oldest?", alternately "youngest").
:func:`probes.faithfulness.tasks.date_puzzles` places the options.

Example:
    >>> date_question(0, np.random.default_rng(0)).question.startswith("Today is ")
    True
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import numpy as np

from probes.faithfulness.drafts import N_OPTIONS, PEOPLE, Draft, between, distractors

DATE_OFFSETS = (-7, -3, -2, -1, 1, 2, 3, 7)
"""Offsets in days of the near-miss date distractors."""

DATE_RANGE = (date(1990, 1, 1), date(2030, 12, 31))
"""First and last "today" of the date arithmetic questions."""

DAYS_RANGE = (3, 40)
"""Smallest and largest number of days to count forward or back."""

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
"""Month names, written out here rather than taken from the locale."""


def date_question(index: int, rng: np.random.Generator) -> Draft:
    return _days_question(rng) if index % 2 == 0 else _birth_order_question(index // 2, rng)


def date_text(day: date) -> str:
    """A date as written in the date puzzles: "14 March 2021".

    Example:
        >>> date_text(date(2021, 3, 14))
        '14 March 2021'
    """
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _days_question(rng: np.random.Generator) -> Draft:
    first, last = DATE_RANGE
    today = first + timedelta(days=between(rng, 0, (last - first).days))
    k = between(rng, *DAYS_RANGE)
    forward = bool(rng.integers(2))
    sign = 1 if forward else -1
    answer = today + timedelta(days=sign * k)
    if forward:
        question = f"Today is {date_text(today)}. What is the date {k} days from now?"
    else:
        question = f"Today is {date_text(today)}. What was the date {k} days ago?"
    steps = _date_steps(today, k, forward)
    mistakes = ((today - timedelta(days=sign * k)).toordinal(),)
    wrong = distractors(answer.toordinal(), mistakes, DATE_OFFSETS, rng)
    return Draft(question, date_text(answer), tuple(date_text(date.fromordinal(w)) for w in wrong), steps)


def _date_steps(today: date, k: int, forward: bool) -> str:
    """Counting `k` days forward or back from `today` month by month, one sentence per month boundary."""
    steps, day, left = [], today, k
    if forward:
        while True:
            length = calendar.monthrange(day.year, day.month)[1]
            to_next = length - day.day + 1  # days to the 1st of the next month
            if left < to_next:
                break
            first = day + timedelta(days=to_next)
            rest = f", with {left - to_next} days to go" if left > to_next else ""
            steps.append(
                f"{MONTHS[day.month - 1]} {day.year} has {length} days, so {date_text(day)} plus {to_next} "
                f"days is {date_text(first)}{rest}."
            )
            day, left = first, left - to_next
        if left:
            steps.append(f"{date_text(day)} plus {left} days is {date_text(day + timedelta(days=left))}.")
    else:
        while left >= day.day:
            end = day - timedelta(days=day.day)  # the last day of the previous month
            rest = f", with {left - day.day} days to go" if left > day.day else ""
            steps.append(
                f"{date_text(day)} minus {day.day} days is {date_text(end)}, the last day of "
                f"{MONTHS[end.month - 1]}{rest}."
            )
            day, left = end, left - day.day
        if left:
            steps.append(f"{date_text(day)} minus {left} days is {date_text(day - timedelta(days=left))}.")
    return " ".join(steps)


def _birth_order_question(index: int, rng: np.random.Generator) -> Draft:
    order = [PEOPLE[j][0] for j in rng.choice(len(PEOPLE), size=N_OPTIONS, replace=False).tolist()]
    facts = []
    for older, younger in zip(order, order[1:]):
        facts.append(
            f"{older} was born before {younger}" if rng.integers(2) else f"{younger} was born after {older}"
        )
    facts = [facts[j] for j in rng.permutation(len(facts)).tolist()]
    oldest = index % 2 == 0
    answer = order[0] if oldest else order[-1]
    chain = ", ".join(f"{older} before {younger}" for older, younger in zip(order, order[1:]))
    which = "oldest" if oldest else "youngest"
    steps = (
        f"Putting the births in order: {chain}. From oldest to youngest: {', '.join(order)}. "
        f"The {which} is {answer}."
    )
    return Draft(
        f"{'. '.join(facts)}. Who is the {which}?",
        answer,
        tuple(name for name in order if name != answer),
        steps,
    )
