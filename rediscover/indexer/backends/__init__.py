"""Search backends: SQLite FTS5 (embedded default) and Elasticsearch."""
