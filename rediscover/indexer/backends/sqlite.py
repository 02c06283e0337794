"""The embedded search backend: plain tables plus FTS5, in the store's own SQLite file.

One row per person (``search_people``) and per indexed application (``search_applications``)
with side tables for what is multi-valued (emails, tags, sources, access tokens), and two
FTS5 tables: person text (name, title, company, tags, person-level resume text; rowid =
person id) and application text (job title, that application's resume text; rowid =
application id). Keeping application text apart is what lets a keyword match count only
on applications the viewer may see. The compiler in ``rediscover.query.sqlite`` writes the
SQL that reads these tables; this module writes them and runs that SQL.

The index is derived data, so ``setup()`` creates it (not Alembic). Writes go in batches
inside ``BEGIN IMMEDIATE`` transactions; ``rebuild`` loads fresh tables aside and swaps them
in with renames inside one transaction, so searches never see a half-built index.
This is the only module that knows SQLite FTS5 specifics; it needs SQLite >= 3.35
(FTS5, RETURNING, MATERIALIZED hints, NULLS LAST).
"""
from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from rediscover.indexer.backends.base import BulkResult, SearchBackend
from rediscover.indexer.batches import chunked
from rediscover.indexer.errors import BackendUnavailableError, IndexSchemaError
from rediscover.indexer.geo import distance_km
from rediscover.indexer.text import fold

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from rediscover.indexer.documents import ApplicationDoc, PersonDocument

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4  # 2: has_resume_text; 3: location columns; 4: shared rejection reasons, evaluations, ranking inputs
BATCH_SIZE = 500  # documents per write transaction
TOKENIZER = "unicode61 remove_diacritics 2"  # folds case and accents: Zoë == zoe
# No prefix indexes: ``word*`` queries are answered from the term index alone (same rows).
# prefix="2 3" made the bulk insert 2.7x slower (bench, 20k people: 4,100 -> 11,300 people/s
# for the bare FTS5 insert) to save a few ms on 2-letter prefixes; 3+ letters cost the same.
FTS_OPTIONS = f'tokenize="{TOKENIZER}"'

# Table names, shared with the SQL compiler in rediscover.query.sqlite.
PEOPLE = "search_people"
PERSON_EMAILS = "search_person_emails"
PERSON_TAGS = "search_person_tags"
APPLICATIONS = "search_applications"
APPLICATION_SOURCES = "search_application_sources"
APPLICATION_ACCESS = "search_application_access"
PERSON_TEXT = "search_person_text"  # FTS5: name, title, company, tags, resume_text
APPLICATION_TEXT = "search_application_text"  # FTS5: job_title, resume_text
META = "search_meta"
TABLES = (
    PEOPLE,
    PERSON_EMAILS,
    PERSON_TAGS,
    APPLICATIONS,
    APPLICATION_SOURCES,
    APPLICATION_ACCESS,
    PERSON_TEXT,
    APPLICATION_TEXT,
)
PERSON_TEXT_COLUMNS = ("name", "title", "company", "tags", "resume_text")
APPLICATION_TEXT_COLUMNS = ("job_title", "resume_text")
DISTANCE_FUNCTION = "rd_distance_km"  # (lat1, lon1, lat2, lon2) -> great-circle km
NEW = "__new"  # suffix of the tables a rebuild loads before the swap

# {s}: table suffix ("" or NEW); {i}: a per-build stamp, because index names are global in
# SQLite and survive a table rename, so each generation's must differ.
_DDL = f"""
CREATE TABLE {PEOPLE}{{s}} (
    person_id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    title TEXT,
    company TEXT,
    location TEXT,
    city TEXT,
    region TEXT,
    country_code TEXT,
    lat REAL,
    lon REAL,
    geo_precision TEXT,
    remote INTEGER NOT NULL DEFAULT 0,
    location_derived INTEGER NOT NULL DEFAULT 0,
    emails TEXT NOT NULL,
    origins TEXT NOT NULL,
    has_open INTEGER NOT NULL,
    has_resume_text INTEGER NOT NULL,
    as_of INTEGER
);
CREATE INDEX ix_{PEOPLE}_team_{{i}} ON {PEOPLE}{{s}} (team_id, has_open);
CREATE INDEX ix_{PEOPLE}_lat_{{i}} ON {PEOPLE}{{s}} (lat, lon);
CREATE INDEX ix_{PEOPLE}_country_{{i}} ON {PEOPLE}{{s}} (country_code, region);
CREATE TABLE {PERSON_EMAILS}{{s}} (
    person_id INTEGER NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (person_id, email)
) WITHOUT ROWID;
CREATE INDEX ix_{PERSON_EMAILS}_email_{{i}} ON {PERSON_EMAILS}{{s}} (email);
CREATE TABLE {PERSON_TAGS}{{s}} (
    person_id INTEGER NOT NULL,
    tag_key TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (person_id, tag_key)
) WITHOUT ROWID;
CREATE INDEX ix_{PERSON_TAGS}_key_{{i}} ON {PERSON_TAGS}{{s}} (tag_key);
CREATE TABLE {APPLICATIONS}{{s}} (
    application_id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL,
    connection_id INTEGER NOT NULL,
    job_id INTEGER,
    job_title TEXT NOT NULL,
    job_title_key TEXT NOT NULL,
    requisition_id TEXT,
    status TEXT NOT NULL,
    confidential INTEGER NOT NULL,
    stage_name TEXT,
    milestone TEXT,
    milestone_rank INTEGER NOT NULL,
    rejection_reason TEXT,
    rejection_reason_key TEXT,
    rejection_type TEXT,
    source TEXT,
    applied_at INTEGER,
    rejected_at INTEGER,
    last_activity_at INTEGER,
    positive INTEGER NOT NULL,
    negative INTEGER NOT NULL,
    strong_no INTEGER NOT NULL,
    strong_yes INTEGER NOT NULL,
    pending INTEGER NOT NULL,
    ratio REAL,
    has_resume_text INTEGER NOT NULL,
    ratio_tenths INTEGER,
    reason_category TEXT,
    reengage_safe INTEGER,
    assessment_pct REAL,
    assessment_tenths INTEGER,
    video_completed INTEGER NOT NULL,
    references_completed INTEGER NOT NULL
);
CREATE INDEX ix_{APPLICATIONS}_person_{{i}} ON {APPLICATIONS}{{s}} (person_id, last_activity_at);
CREATE INDEX ix_{APPLICATIONS}_job_{{i}} ON {APPLICATIONS}{{s}} (job_id);
CREATE TABLE {APPLICATION_SOURCES}{{s}} (
    application_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    source_key TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (application_id, position)
) WITHOUT ROWID;
CREATE INDEX ix_{APPLICATION_SOURCES}_key_{{i}} ON {APPLICATION_SOURCES}{{s}} (source_key);
CREATE TABLE {APPLICATION_ACCESS}{{s}} (
    application_id INTEGER NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (application_id, token)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE {PERSON_TEXT}{{s}} USING fts5(
    {", ".join(PERSON_TEXT_COLUMNS)}, {FTS_OPTIONS}
);
CREATE VIRTUAL TABLE {APPLICATION_TEXT}{{s}} USING fts5(
    {", ".join(APPLICATION_TEXT_COLUMNS)}, {FTS_OPTIONS}
);
"""

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICRO = timedelta(microseconds=1)


def to_micros(value: datetime | None) -> int | None:
    """A UTC datetime as integer microseconds since the epoch (how the index stores times)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return (value - _EPOCH) // _MICRO


def from_micros(value: int | None) -> datetime | None:
    """The inverse of ``to_micros``: an aware UTC datetime."""
    return None if value is None else _EPOCH + value * _MICRO


@dataclass(frozen=True)
class Statement:
    """One SQL statement with named parameters (``:name``), as the compiler builds it."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)


class SQLiteBackend(SearchBackend):
    """The embedded FTS5 index, living in the same SQLite database as the store."""

    kind = "sqlite"

    def __init__(self, engine: Engine, *, batch_size: int = BATCH_SIZE) -> None:
        if engine.dialect.name != "sqlite":
            raise ValueError("SQLiteBackend needs a SQLite engine (the store's own database).")
        self.engine = engine
        self.batch_size = batch_size
        self._owns_engine = False

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> SQLiteBackend:
        """A backend on the SQLite database at a SQLAlchemy URL (builds its own engine)."""
        from rediscover.core.db import make_engine

        backend = cls(make_engine(url), **kwargs)
        backend._owns_engine = True
        return backend

    @property
    def name(self) -> str:
        return "sqlite"

    # ------------------------------------------------------------------ lifecycle

    def setup(self) -> None:
        with self._transaction() as cur:
            cur.execute(f"CREATE TABLE IF NOT EXISTS {META} (key TEXT PRIMARY KEY, value TEXT)")
            row = cur.execute(f"SELECT value FROM {META} WHERE key = 'schema_version'").fetchone()
            exists = _table_exists(cur, PEOPLE)
            if row and exists and int(row[0]) != SCHEMA_VERSION:
                raise IndexSchemaError(
                    f"The SQLite search index has schema {row[0]}, this code needs "
                    f"{SCHEMA_VERSION}: rebuild it (rediscover index --rebuild)."
                )
            if not exists:
                _create_tables(cur, "")
                _set_version(cur)

    def count(self) -> int:
        return self.execute([Statement(f"SELECT COUNT(*) AS n FROM {PEOPLE}")])[0][0]["n"]

    def close(self) -> None:
        if self._owns_engine:  # an engine handed in is the store's: not ours to dispose
            self.engine.dispose()

    # ------------------------------------------------------------------ writes

    def upsert(self, docs: Iterable[PersonDocument]) -> BulkResult:
        result = BulkResult()
        for batch in chunked(docs, self.batch_size):
            with self._transaction() as cur:
                result.merge(_write_batch(cur, batch, ""))
        return result

    def delete(self, person_ids: Iterable[int]) -> BulkResult:
        result = BulkResult()
        for batch in chunked(person_ids, self.batch_size):
            with self._transaction() as cur:
                result.deleted += _delete_people(cur, batch, "")
        return result

    def rebuild(self, docs: Iterable[PersonDocument]) -> BulkResult:
        with self._transaction() as cur:
            _drop_tables(cur, NEW)  # leftovers of a crashed rebuild
            _create_tables(cur, NEW, indexes=False)
        result = BulkResult()
        try:
            for batch in chunked(docs, self.batch_size):
                with self._transaction() as cur:
                    result.merge(_write_batch(cur, batch, NEW, fresh=True))
            with self._transaction() as cur:
                _create_indexes(cur, NEW)
            with self._transaction() as cur:
                _swap(cur)
        except BaseException:
            with self._transaction() as cur:
                _drop_tables(cur, NEW)
            raise
        log.info("sqlite index rebuilt", extra={"people": result.indexed})
        return result

    # ------------------------------------------------------------------ reads

    def execute(self, compiled: Sequence[Statement]) -> list[list[dict[str, Any]]]:
        """Run statements in one read transaction (one snapshot); rows as dicts, per statement."""
        try:
            with self._transaction(write=False) as cur:
                return [_fetch(cur, stmt) for stmt in compiled]
        except sqlite3.Error as exc:
            log.exception("sqlite search failed")
            raise BackendUnavailableError(f"The search index cannot answer: {exc}") from exc

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[sqlite3.Cursor]:
        """An explicit transaction on a pooled connection.

        pysqlite's implicit transactions neither wrap DDL nor hold a read snapshot across
        statements, so we switch it to autocommit and issue BEGIN/COMMIT ourselves.
        ``BEGIN IMMEDIATE`` takes the write lock up front (waiting out the busy timeout)
        instead of failing half-way.
        """
        fairy = self.engine.raw_connection()
        conn: sqlite3.Connection = fairy.driver_connection  # type: ignore[assignment]
        previous = conn.isolation_level
        conn.isolation_level = None
        # The SQL compiler's exact distance test (after a bounding-box prefilter on indexed
        # lat/lon); registered per use because pooled connections may predate this backend.
        conn.create_function(DISTANCE_FUNCTION, 4, _distance, deterministic=True)
        cur = conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
        finally:
            cur.close()
            conn.isolation_level = previous
            fairy.close()


# --------------------------------------------------------------------------- schema


def _distance(lat1: float | None, lon1: float | None, lat2: float, lon2: float) -> float | None:
    if lat1 is None or lon1 is None:
        return None
    return distance_km(lat1, lon1, lat2, lon2)


def _table_exists(cur: sqlite3.Cursor, name: str) -> bool:
    found = cur.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return found is not None


def _create_tables(cur: sqlite3.Cursor, suffix: str, indexes: bool = True) -> None:
    """Create the index's tables; their secondary indexes too unless ``indexes`` is False
    (a rebuild adds them after loading: one sort each instead of a B-tree insert per row)."""
    for statement in _statements(suffix):
        if indexes or not statement.lstrip().startswith("CREATE INDEX"):
            cur.execute(statement)


def _create_indexes(cur: sqlite3.Cursor, suffix: str) -> None:
    for statement in _statements(suffix):
        if statement.lstrip().startswith("CREATE INDEX"):
            cur.execute(statement)


def _statements(suffix: str) -> list[str]:
    stamp = uuid.uuid4().hex[:8]
    return [st for st in _DDL.format(s=suffix, i=stamp).split(";") if st.strip()]


def _drop_tables(cur: sqlite3.Cursor, suffix: str) -> None:
    for table in TABLES:
        cur.execute(f"DROP TABLE IF EXISTS {table}{suffix}")


def _swap(cur: sqlite3.Cursor) -> None:
    # One transaction: readers see the old tables until COMMIT, then the new ones.
    _drop_tables(cur, "")
    for table in TABLES:
        cur.execute(f"ALTER TABLE {table}{NEW} RENAME TO {table}")
    cur.execute(f"CREATE TABLE IF NOT EXISTS {META} (key TEXT PRIMARY KEY, value TEXT)")
    _set_version(cur)


def _set_version(cur: sqlite3.Cursor) -> None:
    cur.execute(
        f"INSERT OR REPLACE INTO {META} (key, value) VALUES ('schema_version', ?)",
        (str(SCHEMA_VERSION),),
    )


def _fetch(cur: sqlite3.Cursor, stmt: Statement) -> list[dict[str, Any]]:
    cur.execute(stmt.sql, stmt.params)
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, row)) for row in cur.fetchall()]


# --------------------------------------------------------------------------- writes


def _write_batch(
    cur: sqlite3.Cursor, docs: list[PersonDocument], suffix: str, fresh: bool = False
) -> BulkResult:
    """Write a batch; if it fails, retry document by document to isolate the bad ones."""
    result = BulkResult()
    cur.execute("SAVEPOINT batch")
    try:
        _replace(cur, docs, suffix, fresh)
        cur.execute("RELEASE batch")
        result.indexed = len(docs)
        return result
    except Exception:  # noqa: BLE001 - isolate the bad document(s) below
        cur.execute("ROLLBACK TO batch")
        cur.execute("RELEASE batch")
    for doc in docs:
        cur.execute("SAVEPOINT one")
        try:
            _replace(cur, [doc], suffix, fresh)
            result.indexed += 1
        except Exception as exc:  # one bad document must not stop the others
            cur.execute("ROLLBACK TO one")
            result.failed[doc.person_id] = f"{type(exc).__name__}: {exc}"
        cur.execute("RELEASE one")
    return result


def _replace(cur: sqlite3.Cursor, docs: list[PersonDocument], suffix: str, fresh: bool) -> None:
    if not fresh:
        _delete_people(cur, [d.person_id for d in docs], suffix)
        # An application may have moved here from another person (a merge): drop it there.
        app_ids = [a.application_id for d in docs for a in d.applications]
        _delete_applications(cur, app_ids, suffix)
    rows = _rows(docs)
    for table, columns in _INSERTS.items():
        if rows[table]:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table}{suffix} ({', '.join(columns)}) VALUES ({marks})"
            cur.executemany(sql, rows[table])


def _delete_people(cur: sqlite3.Cursor, person_ids: list[int], suffix: str) -> int:
    if not person_ids:
        return 0
    marks = ", ".join("?" * len(person_ids))
    app_ids = [
        r[0]
        for r in cur.execute(
            f"SELECT application_id FROM {APPLICATIONS}{suffix} WHERE person_id IN ({marks})",
            person_ids,
        )
    ]
    _delete_applications(cur, app_ids, suffix)
    for table in (PERSON_EMAILS, PERSON_TAGS):
        cur.execute(f"DELETE FROM {table}{suffix} WHERE person_id IN ({marks})", person_ids)
    cur.execute(f"DELETE FROM {PERSON_TEXT}{suffix} WHERE rowid IN ({marks})", person_ids)
    return cur.execute(
        f"DELETE FROM {PEOPLE}{suffix} WHERE person_id IN ({marks})", person_ids
    ).rowcount


def _delete_applications(cur: sqlite3.Cursor, app_ids: list[int], suffix: str) -> None:
    for chunk in chunked(app_ids):
        marks = ", ".join("?" * len(chunk))
        for table in (APPLICATIONS, APPLICATION_SOURCES, APPLICATION_ACCESS):
            cur.execute(f"DELETE FROM {table}{suffix} WHERE application_id IN ({marks})", chunk)
        cur.execute(f"DELETE FROM {APPLICATION_TEXT}{suffix} WHERE rowid IN ({marks})", chunk)


_INSERTS: dict[str, tuple[str, ...]] = {
    PEOPLE: (
        "person_id", "team_id", "name", "title", "company", "location", "city", "region",
        "country_code", "lat", "lon", "geo_precision", "remote", "location_derived",
        "emails", "origins", "has_open", "has_resume_text", "as_of",
    ),
    PERSON_EMAILS: ("person_id", "email"),
    PERSON_TAGS: ("person_id", "tag_key", "tag"),
    PERSON_TEXT: ("rowid", *PERSON_TEXT_COLUMNS),
    APPLICATIONS: (
        "application_id", "person_id", "connection_id", "job_id", "job_title", "job_title_key",
        "requisition_id", "status", "confidential", "stage_name", "milestone", "milestone_rank",
        "rejection_reason", "rejection_reason_key", "rejection_type", "source", "applied_at",
        "rejected_at", "last_activity_at", "positive", "negative", "strong_no", "strong_yes",
        "pending", "ratio", "has_resume_text", "ratio_tenths", "reason_category",
        "reengage_safe", "assessment_pct", "assessment_tenths", "video_completed",
        "references_completed",
    ),
    APPLICATION_SOURCES: ("application_id", "position", "source_key", "source"),
    APPLICATION_ACCESS: ("application_id", "token"),
    APPLICATION_TEXT: ("rowid", *APPLICATION_TEXT_COLUMNS),
}


def _rows(docs: list[PersonDocument]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of every table for some documents, in ``_INSERTS`` column order."""
    rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in _INSERTS}
    for doc in docs:
        rows[PEOPLE].append(_person_row(doc))
        rows[PERSON_EMAILS] += [(doc.person_id, e) for e in dict.fromkeys(doc.emails)]
        tags = dict(zip(doc.tag_keys, doc.tags))
        rows[PERSON_TAGS] += [(doc.person_id, key, tag) for key, tag in tags.items()]
        rows[PERSON_TEXT].append(
            (doc.person_id, doc.name, doc.title or "", doc.company or "", " | ".join(doc.tags),
             doc.resume_text)
        )
        for app in doc.applications:
            rows[APPLICATIONS].append(_application_row(doc.person_id, app))
            rows[APPLICATION_SOURCES] += [
                (app.application_id, i, key, name)
                for i, (key, name) in enumerate(zip(app.source_keys, app.sources))
            ]
            rows[APPLICATION_ACCESS] += [(app.application_id, t) for t in dict.fromkeys(app.access)]
            rows[APPLICATION_TEXT].append((app.application_id, app.job_title, app.resume_text))
    return rows


def _person_row(doc: PersonDocument) -> tuple[Any, ...]:
    return (
        doc.person_id, doc.team_id, doc.name, doc.title, doc.company, doc.location, doc.city,
        doc.region, doc.country_code, doc.latitude, doc.longitude, doc.geo_precision,
        int(doc.remote), int(doc.location_derived), json.dumps(doc.emails),
        json.dumps(doc.origins), int(doc.has_open), int(doc.has_resume_text), to_micros(doc.as_of),
    )


def _application_row(person_id: int, app: ApplicationDoc) -> tuple[Any, ...]:
    return (
        app.application_id, person_id, app.connection_id, app.job_id, app.job_title,
        fold(app.job_title), app.requisition_id, app.status, int(app.confidential),
        app.stage_name, app.milestone, app.milestone_rank, app.rejection_reason,
        app.rejection_reason_key, app.rejection_type, app.sources[0] if app.sources else None,
        to_micros(app.applied_at), to_micros(app.rejected_at), to_micros(app.last_activity_at),
        app.positive, app.negative, app.strong_no, app.strong_yes, app.pending, app.ratio,
        int(app.has_resume_text),
        app.ratio_tenths, app.reason_category,
        None if app.reengage_safe is None else int(app.reengage_safe), app.assessment_pct,
        app.assessment_tenths, int(app.video_completed), int(app.references_completed),
    )
