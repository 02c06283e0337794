"""Configuration defaults; ``create_app`` layers ``REDISCOVER_*`` environment variables on top."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rediscover.query.ranking import RankingWeights

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
        # Best-match weights: RANKING_<NAME> (e.g. REDISCOVER_RANKING_MILESTONE=60) override
        # the defaults of rediscover.query.ranking.RankingWeights, documented in the README.
        # Intake of evaluation results: {team id: HMAC secret}, from the environment only
        # (REDISCOVER_EVALUATION_SECRETS='{"1": "…"}').
        "EVALUATION_SECRETS": {},
    }


def ranking_weights(config: Mapping[str, Any]) -> RankingWeights:
    """The best-match weights from every ``RANKING_<NAME>`` key (names in ``RankingWeights``)."""
    values = {k.removeprefix("RANKING_"): v for k, v in config.items() if k.startswith("RANKING_")}
    try:
        return RankingWeights.from_mapping(values)
    except ValueError as exc:
        raise RuntimeError(f"REDISCOVER_RANKING_*: {exc}") from None


def check(config: dict) -> None:
    """Fail fast at startup, naming the setting that is wrong."""
    ranking_weights(config)
    if not isinstance(config.get("EVALUATION_SECRETS"), dict):
        raise RuntimeError("REDISCOVER_EVALUATION_SECRETS must be a JSON object {team id: secret}")
    url = config.get("DATABASE_URL") or ""
    if not url.startswith(("sqlite", "postgresql")):
        raise RuntimeError(
            "REDISCOVER_DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL"
        )
    es = config.get("ES_URL") or ""
    if es and not es.startswith(("http://", "https://")):
        raise RuntimeError("REDISCOVER_ES_URL must be an http(s):// URL of the cluster")
