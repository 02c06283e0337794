"""The validated filter model: one ``SearchRequest`` per search, whatever the backend.

``SearchRequest.from_dict`` is the only way untrusted input (API JSON, CLI flags) becomes a
request; every problem raises ``InvalidQuery`` naming the offending field.
"""
from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timezone
from typing import Any

from rediscover.core.milestones import RANK, parse_milestone
# Defined next to the indexer, which writes the same keys the filters compare against.
from rediscover.indexer.geo import DEFAULT_RADIUS_KM, KM_PER_MILE, MAX_RADIUS_KM, default_locator
from rediscover.indexer.text import normalize_email, normalize_label
from rediscover.mappings.reasons import SHARED_REASONS
from rediscover.query.errors import InvalidQuery

DEFAULT_LIMIT = 25
MAX_LIMIT = 200
SORTS = ("best_match", "relevance", "last_in_process")
DEFAULT_SORT = "best_match"
MAX_QUERY_LENGTH = 1000
MAX_LIST = 200
RADIUS_PATTERN = re.compile(
    r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>km|kms|kilometers?|kilometres?|mi|miles?)?"
)


@dataclass(frozen=True)
class Near:
    """Where a ``near`` search is centred: the text as given and the point it resolved to."""

    text: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Viewer:
    """Who is searching: their team and their ATS identities (``"<connection_id>:<user>"``)."""

    team_id: int
    access_tokens: frozenset[str] = frozenset()
    user_id: int | None = None


@dataclass(frozen=True)
class SearchRequest:
    """Every filter of a search (DESIGN.md "Semantics that must hold on every backend")."""

    query: str | None = None
    # application filters: one seen application must satisfy all of them together
    job_ids: tuple[int, ...] = ()
    job_title: str | None = None
    rejection_reasons: tuple[str, ...] = ()  # normalised names
    sources: tuple[str, ...] = ()  # normalised names
    reached_stage: str | None = None  # milestone; matches that one and later ones
    scorecard_ratio: float | None = None  # positive / (positive + negative) >= this
    applied_after: datetime | None = None
    applied_before: datetime | None = None
    shared_reasons: tuple[str, ...] = ()  # mappings.reasons keys; any of them
    safe_to_reengage: bool | None = None  # the shared reason's flag (no reason never matches)
    assessment_min: float | None = None  # percent, on a finished assessment
    video_interview_completed: bool = False
    references_completed: bool = False
    # person filters
    tags: tuple[str, ...] = ()  # normalised; a person must carry all of them
    emails: tuple[str, ...] = ()  # normalised; any of them
    exclude_strong_no: bool = False
    last_in_process_after: datetime | None = None
    last_in_process_before: datetime | None = None
    include_active: bool = False
    # True: people with resume text the viewer may see; False: none (no file, image-only
    # scans, encrypted or broken files)
    has_resume_text: bool | None = None
    # location (person filters): within ``radius`` km of ``near``; ISO country / region codes
    near: Near | None = None
    radius: float = DEFAULT_RADIUS_KM  # kilometres (input may say "30mi")
    include_remote: bool = False  # with ``near``: people working remotely match too
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2; any of them
    regions: tuple[str, ...] = ()  # ISO 3166-2; any of them
    # presentation
    sort: str = DEFAULT_SORT
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    @property
    def reached_rank(self) -> int | None:
        return RANK[self.reached_stage] if self.reached_stage else None

    @property
    def has_application_filters(self) -> bool:
        return bool(
            self.job_ids
            or self.job_title
            or self.rejection_reasons
            or self.sources
            or self.reached_stage
            or self.scorecard_ratio is not None
            or self.applied_after
            or self.applied_before
            or self.shared_reasons
            or self.safe_to_reengage is not None
            or self.assessment_min is not None
            or self.video_interview_completed
            or self.references_completed
        )

    @classmethod
    def from_dict(cls, data: Any) -> SearchRequest:
        """Validate untrusted input into a request (unknown keys are errors, not ignored)."""
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise InvalidQuery("The search body must be a JSON object.", field=None)
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise InvalidQuery(f"Unknown filter {key!r}.", field=key)
        values: dict[str, Any] = {}
        for name, parse in _PARSERS.items():
            if name in data and data[name] is not None:
                values[name] = parse(data[name], name)
        if data.get("radius") is not None and values.get("near") is None:
            raise InvalidQuery("radius needs near (a place or 'lat,lon').", field="radius")
        request = cls(**values)
        request._check_ranges()
        return request

    def _check_ranges(self) -> None:
        for lo, hi in (
            ("applied_after", "applied_before"),
            ("last_in_process_after", "last_in_process_before"),
        ):
            a, b = getattr(self, lo), getattr(self, hi)
            if a and b and a >= b:
                raise InvalidQuery(f"{lo} must be earlier than {hi}.", field=lo)

    def with_cursor(self, cursor: str | None) -> SearchRequest:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["cursor"] = cursor
        return SearchRequest(**values)

    def to_dict(self) -> dict[str, Any]:
        """The request as JSON-able data (for audit, saved searches, the CLI)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "has_resume_text" and value is not None:
                out[f.name] = value  # False is a filter here, not a default
                continue
            dropped = value in (None, ()) or (value is False and f.name != "safe_to_reengage")
            if dropped or (f.name == "sort" and value == DEFAULT_SORT):
                continue
            if f.name == "limit" and value == DEFAULT_LIMIT:
                continue
            if f.name == "radius":
                if self.near is not None and value != DEFAULT_RADIUS_KM:
                    out[f.name] = f"{value:g}km"
                continue
            if isinstance(value, Near):
                out[f.name] = value.text
                continue
            out[f.name] = value.isoformat() if isinstance(value, datetime) else (
                list(value) if isinstance(value, tuple) else value
            )
        return out


# --------------------------------------------------------------------------- field parsers


def _text(value: Any, name: str, max_length: int = MAX_QUERY_LENGTH) -> str | None:
    if not isinstance(value, str):
        raise InvalidQuery(f"{name} must be a string.", field=name)
    value = value.strip()
    if len(value) > max_length:
        raise InvalidQuery(f"{name} is longer than {max_length} characters.", field=name)
    return value or None


def _str_list(value: Any, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidQuery(f"{name} must be a list of strings.", field=name)
    if len(value) > MAX_LIST:
        raise InvalidQuery(f"{name} has more than {MAX_LIST} values.", field=name)
    return tuple(v for v in value if v.strip())


def _labels(value: Any, name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(normalize_label(v) for v in _str_list(value, name)))


def _emails(value: Any, name: str) -> tuple[str, ...]:
    emails = tuple(dict.fromkeys(normalize_email(v) for v in _str_list(value, name)))
    for email in emails:
        if "@" not in email:
            raise InvalidQuery(f"{email!r} is not an email address.", field=name)
    return emails


def _ids(value: Any, name: str) -> tuple[int, ...]:
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise InvalidQuery(f"{name} must be a list of at most {MAX_LIST} ids.", field=name)
    out = []
    for v in value:
        if isinstance(v, bool):
            raise InvalidQuery(f"{name} must hold integer ids.", field=name)
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            raise InvalidQuery(f"{name} must hold integer ids; got {v!r}.", field=name) from None
    return tuple(dict.fromkeys(out))


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    raise InvalidQuery(f"{name} must be true or false.", field=name)


def _ratio(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidQuery(f"{name} must be a number between 0 and 1.", field=name)
    try:
        ratio = float(value)
    except ValueError:
        raise InvalidQuery(f"{name} must be a number between 0 and 1.", field=name) from None
    if ratio > 1 and ratio <= 100 and isinstance(value, str) and value.endswith("%"):
        ratio /= 100
    if not 0 <= ratio <= 1:
        raise InvalidQuery(f"{name} must be between 0 and 1; got {value!r}.", field=name)
    return ratio


def _shared_reasons(value: Any, name: str) -> tuple[str, ...]:
    reasons = tuple(dict.fromkeys(v.strip().lower() for v in _str_list(value, name)))
    for reason in reasons:
        if reason not in SHARED_REASONS:
            known = ", ".join(SHARED_REASONS)
            raise InvalidQuery(f"Unknown shared reason {reason!r}; one of {known}.", field=name)
    return reasons


def _percent(value: Any, name: str) -> float:
    if isinstance(value, str):
        value = value.strip().removesuffix("%")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidQuery(f"{name} must be a percentage between 0 and 100.", field=name)
    try:
        percent = float(value)
    except ValueError:
        raise InvalidQuery(f"{name} must be a percentage between 0 and 100.", field=name) from None
    if not 0 <= percent <= 100:
        raise InvalidQuery(f"{name} must be between 0 and 100; got {value!r}.", field=name)
    return percent


def _milestone(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidQuery(f"{name} must be a milestone name.", field=name)
    try:
        return parse_milestone(value)
    except ValueError as exc:
        raise InvalidQuery(str(exc), field=name) from None


def parse_bound(value: Any, name: str) -> datetime:
    """A date (start of that day, UTC) or a full ISO timestamp (naive = UTC)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidQuery(f"{name} must be a date (YYYY-MM-DD) or an ISO timestamp.", field=name)
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=timezone.utc)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidQuery(
            f"{name} must be a date (YYYY-MM-DD) or an ISO timestamp; got {value!r}.", field=name
        ) from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(
        timezone.utc
    )


def _sort(value: Any, name: str) -> str:
    if value not in SORTS:
        raise InvalidQuery(f"{name} must be one of {', '.join(SORTS)}.", field=name)
    return value


def _limit(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise InvalidQuery(f"{name} must be an integer.", field=name)
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise InvalidQuery(f"{name} must be an integer.", field=name) from None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidQuery(f"{name} must be between 1 and {MAX_LIMIT}.", field=name)
    return limit


def _cursor(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidQuery(f"{name} must be a cursor string from a previous page.", field=name)
    decode_cursor(value)  # validates
    return value


def _near(value: Any, name: str) -> Near:
    text = _text(value, name, max_length=200)
    if text is None:
        raise InvalidQuery(f"{name} must be a place name or 'lat,lon'.", field=name)
    point = default_locator().point(text)
    if point is None:
        raise InvalidQuery(
            f"Unknown place {text!r}: give a city (e.g. 'Berlin') or 'lat,lon'.", field=name
        )
    return Near(text, point[0], point[1])


def _radius(value: Any, name: str) -> float:
    """A distance in km: a number (km), or a string like "50km", "30mi", "12.5 km"."""
    match = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        km = float(value)
    elif isinstance(value, str) and (match := RADIUS_PATTERN.fullmatch(value.strip().lower())):
        km = float(match.group("n"))
        if (match.group("unit") or "km").startswith("mi"):
            km *= KM_PER_MILE
    else:
        raise InvalidQuery(f"{name} must be a distance like '50km' or '30mi'.", field=name)
    if not math.isfinite(km) or not 0 < km <= MAX_RADIUS_KM:
        raise InvalidQuery(f"{name} must be more than 0 and at most {MAX_RADIUS_KM:g} km.",
                           field=name)
    return km


def _countries(value: Any, name: str) -> tuple[str, ...]:
    codes = []
    for item in _str_list(value, name):
        code = default_locator().country_code(item)
        if code is None:
            raise InvalidQuery(f"Unknown country {item!r}: use ISO codes like 'DE'.", field=name)
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _regions(value: Any, name: str) -> tuple[str, ...]:
    codes: list[str] = []
    for item in _str_list(value, name):
        found = default_locator().region_codes(item)
        if not found:
            raise InvalidQuery(
                f"Unknown region {item!r}: use ISO 3166-2 codes like 'US-WA' or a name.",
                field=name,
            )
        codes += found
    return tuple(dict.fromkeys(codes))


_PARSERS = {
    "query": _text,
    "job_ids": _ids,
    "job_title": _text,
    "rejection_reasons": _labels,
    "sources": _labels,
    "reached_stage": _milestone,
    "scorecard_ratio": _ratio,
    "applied_after": parse_bound,
    "applied_before": parse_bound,
    "shared_reasons": _shared_reasons,
    "safe_to_reengage": _bool,
    "assessment_min": _percent,
    "video_interview_completed": _bool,
    "references_completed": _bool,
    "tags": _labels,
    "emails": _emails,
    "exclude_strong_no": _bool,
    "last_in_process_after": parse_bound,
    "last_in_process_before": parse_bound,
    "include_active": _bool,
    "has_resume_text": _bool,
    "near": _near,
    "radius": _radius,
    "include_remote": _bool,
    "countries": _countries,
    "regions": _regions,
    "sort": _sort,
    "limit": _limit,
    "cursor": _cursor,
}


# --------------------------------------------------------------------------- cursors


def encode_cursor(key: list[Any]) -> str:
    """An opaque cursor holding the sort key of the last row of a page."""
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """The sort key inside a cursor; ``InvalidQuery(field="cursor")`` if it is not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        raise InvalidQuery("The cursor is not valid; start again without it.", field="cursor") from None
    if not isinstance(key, list) or not key:
        raise InvalidQuery("The cursor is not valid; start again without it.", field="cursor")
    return key
