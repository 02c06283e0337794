"""Configuration defaults; ``create_app`` layers ``REDISCOVER_*`` environment variables on top."""
from __future__ import annotations

from pathlib import Path

DEFAULT_DATA_DIR = Path("var")


def defaults(data_dir: Path = DEFAULT_DATA_DIR) -> dict:
    """The configuration a fresh checkout runs with: everything embedded, nothing to start."""
    return {
        # Store: a SQLite file by default; a PostgreSQL URL for the scale setup.
        "DATABASE_URL": f"sqlite:///{(data_dir / 'rediscover.sqlite').resolve()}",
        # Search: empty = the embedded SQLite FTS5 index in the store's database.
        "ES_URL": "",
        "ES_ALIAS": "rediscover-people",
        "ES_TIMEOUT": 5.0,
        # Bring the store's schema to the newest migration on start.
        "AUTO_MIGRATE": True,
        "SECRET_KEY": "",
        # Schedule: nightly full re-sync (cron, UTC; a connection's ``sync_cron`` setting
        # overrides it), incremental syncs every N minutes (0 = off), start jitter.
        "SYNC_CRON": "0 2 * * *",
        "SYNC_INCREMENTAL_MINUTES": 15,
        "SYNC_JITTER_SECONDS": 600,
        "JSON_SORT_KEYS": False,
    }


def check(config: dict) -> None:
    """Fail fast at startup, naming the setting that is wrong."""
    url = config.get("DATABASE_URL") or ""
    if not url.startswith(("sqlite", "postgresql")):
        raise RuntimeError(
            "REDISCOVER_DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL"
        )
    es = config.get("ES_URL") or ""
    if es and not es.startswith(("http://", "https://")):
        raise RuntimeError("REDISCOVER_ES_URL must be an http(s):// URL of the cluster")
