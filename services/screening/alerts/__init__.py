"""Positive-result alerts: the outbox and the worker that delivers it to the webhooks."""
