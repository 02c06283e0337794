"""Settings types, the domain model, sessions, migrations and shared value types."""
