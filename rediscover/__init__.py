"""Rediscover: candidate rediscovery search over your own ATS history."""
