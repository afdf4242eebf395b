"""Thin Celery tasks of the follow-ups app: each calls a service."""
