"""Retry, retry budget and circuit breaker: pure decisions over explicit state and time."""
