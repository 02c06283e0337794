"""Alembic migrations of the store (run through ``rediscover.core.migrate``)."""
