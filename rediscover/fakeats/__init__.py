"""Fake ATS servers speaking each vendor's API shapes: used by the tests and by ``rediscover demo``."""
