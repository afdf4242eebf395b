"""Small overrides for the test suite; everything else is the base settings."""

import os

# The suite's own key, set before the base settings derive the pseudonym key from it; a
# run may still pass another in the environment.
os.environ.setdefault("SECRET_KEY", "test-suite-only-key-never-used-outside-the-test-run-0123")

from .base import *  # noqa: F403
from .base import DATABASES as CONFIGURED_DATABASES
from .base import REST_FRAMEWORK, env

# The suite talks plain http to its own live server.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# Hashing cost is not under test; argon2 is checked by its own test.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}

# The suite always runs against the real server (make test), never the embedded one.
DATABASES = {
    "default": {
        **env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/exotrack"),
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
    }
}
if "replica" in CONFIGURED_DATABASES:
    # Read as configured outside the test runner (tests/integration/test_replica.py runs
    # the site against a real replica); the test runner makes it its test database.
    DATABASES["replica"] = {**CONFIGURED_DATABASES["replica"], "TEST": {"MIRROR": "default"}}
# No second factor unless a test asks for one (override_settings(MFA_REQUIRED_ROLES=...)).
MFA_REQUIRED_ROLES = []

# Throttles stay on but out of reach of the suite's thousands of calls from one address;
# throttling tests set their own rates.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"account": "1000000/hour", "address": "1000000/hour"},
}
# One reminder sender, in the caller's thread: a sender thread's own connection would not
# see what a test wrote inside its transaction. Tests of parallel senders set more.
FOLLOWUP_REMINDER_SENDERS = env.int("FOLLOWUP_REMINDER_SENDERS", default=1)
