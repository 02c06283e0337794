"""Declarations only: the Elasticsearch index definition and default stage maps."""
