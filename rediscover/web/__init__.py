"""The Flask app factory, JSON API, UI and the ``rediscover`` CLI (the composition root)."""
