"""gunicorn settings of the web service (the image, compose and the README's plain
services): `gunicorn --config python:config.gunicorn config.wsgi`. Each may be set from
the environment; command-line flags override them."""

import gc
import multiprocessing
import os

bind = "0.0.0.0:8000"
# Sync workers: pages are short database reads and the exports stream. gunicorn's rule of
# thumb, two per core plus one, keeps both cores busy while one worker waits on PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# A sync worker still busy with one request after this long is killed (the proxy answers
# 502). Streaming does not reset the clock, and the longest request is the whole clinic's
# outcomes CSV at a million doses: 3 s on a quiet machine (bench/results/export.md), and
# up to 40 s under heavy load before its SQL was made lighter, so the limit sits at twice
# the worst seen.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "90"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, so not all at once): bounds
# any slow growth of a long-lived Python process.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"


def post_worker_init(worker: object) -> None:
    """Once the worker has loaded Django and every app, their 180,000 objects are moved
    out of the garbage collector's sight (gc.freeze): a full collection walked them all,
    about 90 ms, every few dozen requests, and those pauses were the slowest twentieth of
    the list pages (visits page 200: p95 180 ms with them, 61 ms without)."""
    gc.freeze()
