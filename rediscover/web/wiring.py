"""The composition root's parts: engine, sessions and the search backend, built once per app."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from rediscover.core.db import make_engine, make_session_factory
from rediscover.core.migrate import upgrade
from rediscover.web.config import ranking_weights

if TYPE_CHECKING:
    from rediscover.indexer.backends.base import SearchBackend
    from rediscover.query.ranking import RankingWeights

log = logging.getLogger(__name__)


@dataclass
class Services:
    """What request handlers and CLI commands share: one engine, one backend."""

    engine: Engine
    session_factory: sessionmaker[Session]
    config: dict
    _backend: SearchBackend | None = field(default=None, repr=False)

    @property
    def weights(self) -> RankingWeights:
        """The best-match weights from configuration."""
        return ranking_weights(self.config)

    @property
    def backend(self) -> SearchBackend:
        """The configured search backend (built on first use)."""
        if self._backend is None:
            self._backend = build_backend(self.config, self.engine)
        return self._backend


def build_backend(config: dict, engine: Engine) -> SearchBackend:
    """Elasticsearch when ``ES_URL`` is set, else the embedded SQLite FTS5 index."""
    if config.get("ES_URL"):
        from rediscover.indexer.backends.elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend(
            config["ES_URL"], config["ES_ALIAS"], timeout=float(config["ES_TIMEOUT"])
        )
    from rediscover.indexer.backends.sqlite import SQLiteBackend

    if engine.dialect.name != "sqlite":
        raise RuntimeError(
            "The embedded search index needs a SQLite store; set REDISCOVER_ES_URL to use "
            "Elasticsearch with PostgreSQL"
        )
    backend = SQLiteBackend(engine)
    backend.setup()
    return backend


def init_services(app: Flask) -> Services:
    """Build the services for ``app`` and keep them in ``app.extensions``."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    if app.config.get("AUTO_MIGRATE"):
        upgrade(engine)
    services = Services(engine, make_session_factory(engine), dict(app.config))
    app.extensions["rediscover"] = services
    return services


def services() -> Services:
    """The current app's services."""
    return current_app.extensions["rediscover"]
