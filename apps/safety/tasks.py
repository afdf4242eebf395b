"""Thin Celery tasks of the safety app: each calls a service."""
