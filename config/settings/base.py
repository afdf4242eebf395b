"""ExoTrack settings, read from the environment (12-factor).

With nothing set, the project runs on embedded defaults under `var/`: a private
PostgreSQL started by `make run` (its URL written to `var/database_url`), Kombu's
filesystem transport as broker, and e-mails written as files to `var/mail/`.
"""

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import environ
import pghistory
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
# Local data of the embedded defaults: private database URL, broker folders, e-mails.
VAR_DIR = BASE_DIR / env.str("VAR_DIR", default="var")


def _embedded_database_url() -> str:
    # `make run` starts a private PostgreSQL and records its URL here.
    url_file = VAR_DIR / "database_url"
    if url_file.exists():
        return url_file.read_text().strip()
    return "postgres://postgres@127.0.0.1:5432/exotrack"


DEBUG = env.bool("DEBUG", default=False)
# Production is every run with DEBUG off except the test suite's (it sets its own key and
# keeps an in-process cache). Production refuses the unsafe defaults below.
PRODUCTION = not DEBUG and os.environ.get("DJANGO_SETTINGS_MODULE") != "config.settings.test"
# `make run` (DEBUG on) signs with this published key. Its "django-insecure-" prefix makes
# `check --deploy` warn about it (security.W009), and production refuses it outright:
# anyone holding it could forge sessions and patients' e-mail links.
LOCAL_ONLY_SECRET_KEY = "django-insecure-local-only-key-set-SECRET_KEY-in-production-0123456789"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=LOCAL_ONLY_SECRET_KEY)
if PRODUCTION and SECRET_KEY == LOCAL_ONLY_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: with DEBUG off ExoTrack needs a long random SECRET_KEY "
        "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "django_filters",
    "django_htmx",
    "axes",
    "pgtrigger",
    "pghistory",
    "exotrack",
    "apps.accounts",
    "apps.clinic",
    "apps.audit",
    "apps.patients",
    "apps.inventory",
    "apps.treatments",
    "apps.safety",
    "apps.followups",
    "apps.outcomes",
    # Not last: it has no models, so no post_migrate, which the roles wait for.
    "apps.synthetic",
    "apps.reports",
    "apps.fhir",
    "apps.imports",
    "apps.consents",
    "apps.photos",
    "apps.injection_maps",
    # Last: the form widgets' templates, which exotrack/templates may override.
    "django.forms",
]
# Form widgets render through TEMPLATES, so the project's templates can replace Django's.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files keep their long caching.
    "exotrack.middleware.ResponseHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "exotrack.middleware.SignInForStaffPagesMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: it tells the sign-in page why the session ended.
    "exotrack.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes last: it inspects the outcome of authentication for lockouts.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "exotrack.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", default=_embedded_database_url())}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A PostgreSQL streaming replica that the reports page, its CSV exports and FHIR bulk
# exports read from while it is at most DATABASE_REPLICA_MAX_LAG_SECONDS behind; else
# they read the primary, as everything else always does (exotrack/replica.py).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # What an unreachable replica costs a report (once per process every few seconds)
    # before it falls back to the primary; ?connect_timeout= in the URL says otherwise.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
DATABASE_REPLICA_MAX_LAG_SECONDS = env.int("DATABASE_REPLICA_MAX_LAG_SECONDS", default=30)
DATABASE_ROUTERS = ["exotrack.replica.PrimaryWritesRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Lockout: 5 failures lock that account from that address for an hour, and 20 from any
# addresses lock the account itself (exotrack/lockout.py), so a password guesser gains
# nothing by changing address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ACCOUNT_FAILURE_LIMIT = env.int("AXES_ACCOUNT_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_HANDLER = "exotrack.lockout.AccountLockoutHandler"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# How many proxies in front append to X-Forwarded-For (the TLS proxy: 1); 0 trusts none.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "apps.accounts.client_ip.client_ip"

# Sessions: idle timeout and an absolute cap. Activity is written back at most once per
# SESSION_ACTIVITY_RESOLUTION seconds (or a fifteenth of the idle limit), so a page view
# does not cost a session write: the idle limit ends at most that much early.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=15 * 60)
SESSION_ACTIVITY_RESOLUTION = env.int("SESSION_ACTIVITY_RESOLUTION", default=60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)
# The stored session outlives the idle limit so the middleware, not a silent expiry,
# ends it and can say why on the sign-in page.
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Security headers; the secure-cookie/HSTS switches follow DEBUG so production is safe by
# default and local http:// development still works.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# X-Forwarded-Proto says https only if a proxy we trust set it; without one any client
# could claim it.
if TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Browser features no ExoTrack page uses, switched off for every page (exotrack/middleware.py).
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "script-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
# Stored in UTC, shown in the clinic's zone.
TIME_ZONE = env.str("CLINIC_TIME_ZONE", default="America/New_York")
CLINIC_TIME_ZONE = TIME_ZONE

# Stock warnings on the dashboard: usable lots expiring within this many days, and
# products with this many usable vials or fewer.
INVENTORY_EXPIRY_WARNING_DAYS = env.int("INVENTORY_EXPIRY_WARNING_DAYS", default=30)
INVENTORY_LOW_STOCK_VIALS = env.int("INVENTORY_LOW_STOCK_VIALS", default=5)

# Visits: a patient's total dose over the last 30 days (the visit included) above this
# many billions of particles needs a clinician's acknowledged reason.
TREATMENT_CUMULATIVE_DOSE_WARNING_BILLIONS = env.int(
    "TREATMENT_CUMULATIVE_DOSE_WARNING_BILLIONS", default=30
)
# A visit treats at most this many sites: more is a mistake (or an attack) refused before
# any row is read, since each site costs lookups and a stock lock.
TREATMENT_MAX_SITES_PER_VISIT = env.int("TREATMENT_MAX_SITES_PER_VISIT", default=20)

# Outcomes: a responder's pain fell from baseline by at least this many points, or by at
# least this percentage (DOMAIN.md: about 2 points or 30 %).
OUTCOME_RESPONDER_MIN_POINTS = env.int("OUTCOME_RESPONDER_MIN_POINTS", default=2)
OUTCOME_RESPONDER_MIN_PERCENT = env.int("OUTCOME_RESPONDER_MIN_PERCENT", default=30)
# Days either side of each timepoint that still count as it (apps/outcomes/timepoints.py);
# the last one serves both 6 and 12 months.
OUTCOME_WINDOW_TWO_WEEKS_DAYS = env.int("OUTCOME_WINDOW_TWO_WEEKS_DAYS", default=7)
OUTCOME_WINDOW_SIX_WEEKS_DAYS = env.int("OUTCOME_WINDOW_SIX_WEEKS_DAYS", default=14)
OUTCOME_WINDOW_THREE_MONTHS_DAYS = env.int("OUTCOME_WINDOW_THREE_MONTHS_DAYS", default=30)
OUTCOME_WINDOW_LATE_MONTHS_DAYS = env.int("OUTCOME_WINDOW_LATE_MONTHS_DAYS", default=45)
# Patients' self-report page: requests per client address per hour, counted in the cache.
FOLLOWUP_SELF_REPORT_REQUESTS_PER_HOUR = env.int(
    "FOLLOWUP_SELF_REPORT_REQUESTS_PER_HOUR", default=30
)
# Reports: de-identified exports name patients by HMAC-SHA256(patient id, this key).
# Keep it secret and stable (a new key gives every patient a new reference). By default it
# is derived from SECRET_KEY as SHA-256("reports-pseudonym:" + SECRET_KEY), a one-way
# derivation from a key production requires to be real, so it is as secret as that key;
# set it separately to rotate SECRET_KEY without changing patients' references.
REPORTS_PSEUDONYM_KEY = env.str(
    "REPORTS_PSEUDONYM_KEY",
    default=hashlib.sha256(f"reports-pseudonym:{SECRET_KEY}".encode()).hexdigest(),
)
# The most days a de-identified export may shift each patient's dates either way.
REPORTS_DATE_SHIFT_MAX_DAYS = env.int("REPORTS_DATE_SHIFT_MAX_DAYS", default=180)
# A follow-up still pending this many days after it fell due counts as missed.
REPORTS_FOLLOWUP_GRACE_DAYS = env.int("REPORTS_FOLLOWUP_GRACE_DAYS", default=14)
# The cache holds those counters and the API's throttles: in-process by default (fine for
# one web process, as under `make run`); several web processes share a limit only through
# a shared cache, so production refuses an in-process one.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
_PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
if PRODUCTION and CACHES["default"]["BACKEND"] in _PER_PROCESS_CACHES:
    raise ImproperlyConfigured(
        "CACHE_URL names an in-process cache: with DEBUG off each web process would count "
        "rate limits on its own. Set CACHE_URL to a shared cache, e.g. redis://redis:6379/1."
    )

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# E-mail: files under var/mail by default; EMAIL_URL switches to an SMTP server.
# An e-mail URL's path loses one leading slash (as in sqlite:////abs), so an absolute
# folder needs four: filemail:////srv/exotrack/var/mail.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default=f"filemail:///{VAR_DIR / 'mail'}")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ExoTrack <no-reply@exotrack.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in e-mails (self-report, unsubscribe) point here: the address patients reach.
# Follow-ups: how long a patient's self-report link works.
FOLLOWUP_SELF_REPORT_LINK_DAYS = env.int("FOLLOWUP_SELF_REPORT_LINK_DAYS", default=30)
# How long the unsubscribe link of a reminder e-mail works (a new reminder brings a new
# one); a re-consent recorded by staff ends every earlier link at once.
FOLLOWUP_UNSUBSCRIBE_LINK_DAYS = env.int("FOLLOWUP_UNSUBSCRIBE_LINK_DAYS", default=365)
# A visit recorded late skips the follow-ups that fell due more than this many days ago.
FOLLOWUP_BACKDATED_GRACE_DAYS = env.int("FOLLOWUP_BACKDATED_GRACE_DAYS", default=7)
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# Reminder e-mails (apps/followups/services/reminders.py). One further reminder this many
# days after the first while the follow-up stays open, up to this many in all (at most 5).
FOLLOWUP_REMINDER_FURTHER_DAYS = env.int("FOLLOWUP_REMINDER_FURTHER_DAYS", default=7)
FOLLOWUP_REMINDER_MAX = min(env.int("FOLLOWUP_REMINDER_MAX", default=2), 5)
# The minute tick claims this many at a time and holds them this long (a killed sender's
# reminders are picked up again once the lease ends); it stops claiming after the budget.
FOLLOWUP_REMINDER_BATCH_SIZE = env.int("FOLLOWUP_REMINDER_BATCH_SIZE", default=100)
FOLLOWUP_REMINDER_LEASE_SECONDS = env.int("FOLLOWUP_REMINDER_LEASE_SECONDS", default=300)
FOLLOWUP_REMINDER_TICK_SECONDS = env.int("FOLLOWUP_REMINDER_TICK_SECONDS", default=45)
# Senders side by side in each tick, each with its own database and SMTP connection
# (threads of the worker process that runs the tick).
FOLLOWUP_REMINDER_SENDERS = env.int("FOLLOWUP_REMINDER_SENDERS", default=4)
# A temporary SMTP failure is retried after base, 2 x base, 4 x base ... seconds; after
# this many attempts the reminder is failed and shown to staff.
FOLLOWUP_REMINDER_RETRY_BACKOFF_SECONDS = env.int(
    "FOLLOWUP_REMINDER_RETRY_BACKOFF_SECONDS", default=60
)
FOLLOWUP_REMINDER_RETRY_MAX_ATTEMPTS = env.int("FOLLOWUP_REMINDER_RETRY_MAX_ATTEMPTS", default=6)

# Safety signals: a lot (product, site category) signals for an event type when the
# one-sided exact binomial test against the expected rate gives p below this, with at
# least this many events. Recomputed daily at this local hour; the safety contact is
# e-mailed about lots that newly signal.
SAFETY_SIGNAL_P_VALUE = env.float("SAFETY_SIGNAL_P_VALUE", default=0.01)
SAFETY_SIGNAL_MIN_EVENTS = env.int("SAFETY_SIGNAL_MIN_EVENTS", default=2)
SAFETY_SIGNALS_HOUR = env.int("SAFETY_SIGNALS_HOUR", default=6)
# Clinicians' daily digest (open flags, overdue follow-ups, serious events, signals).
STAFF_DIGEST_HOUR = env.int("STAFF_DIGEST_HOUR", default=7)

# Celery. Redis only carries work; the database is the schedule (see DESIGN.md).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Remote-control broadcasts; Kombu's default is a folder in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # A task not acknowledged within an hour is redelivered; our tasks are short and
    # idempotent, so a redelivery is harmless. Tests of a killed worker shorten it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Crontab entries (daily jobs) are read in the clinic's zone; messages still carry UTC.
CELERY_TIMEZONE = CLINIC_TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    # /healthz reports how long ago a worker last ran this.
    "worker-heartbeat": {"task": "exotrack.tasks.worker_heartbeat", "schedule": 60.0},
    # Serious adverse events whose e-mail to the safety contact was lost or gave up.
    "serious-events-email-pending": {
        "task": "apps.safety.tasks.serious_events_email_pending",
        "schedule": 600.0,
    },
    "safety-signals-daily": {
        "task": "apps.safety.tasks.safety_signals_daily",
        "schedule": crontab(hour=SAFETY_SIGNALS_HOUR, minute=0),
    },
    # Reminder e-mails due now; a tick that waited past the next one is dropped.
    "reminders-send-due": {
        "task": "apps.followups.tasks.reminders_send_due",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "idempotency-keys-expire": {
        "task": "exotrack.tasks.idempotency_keys_expire_hourly",
        "schedule": 3600.0,
    },
    "staff-digest-daily": {
        "task": "apps.followups.tasks.staff_digest_daily",
        "schedule": crontab(hour=STAFF_DIGEST_HOUR, minute=0),
    },
}

# Request bodies: Django's form parsing and the API's JSON parser refuse larger ones (413),
# and the JSON parser refuses arrays and objects nested deeper than this (400).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2621440)
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)

# A creating API call's Idempotency-Key and answer are kept this long.
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)

# REST API
REST_FRAMEWORK = {
    # Token first: DRF answers an anonymous call with the first class's WWW-Authenticate
    # challenge, which makes it a 401 (session authentication has none: 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous call is told 401 with WWW-Authenticate: Token.
        "apps.accounts.api_tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "exotrack.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Each account, and each client address whoever signs in from it, has its own budget
    # (exotrack/api/throttles.py); beyond it the API answers 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "exotrack.api.throttles.AccountRateThrottle",
        "exotrack.api.throttles.AddressRateThrottle",
    ],
    # Addresses as TRUSTED_PROXY_COUNT says (DRF's default would trust any X-Forwarded-For).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "account": env.str("API_THROTTLE_ACCOUNT_RATE", default="3000/hour"),
        "address": env.str("API_THROTTLE_ADDRESS_RATE", default="6000/hour"),
    },
    "DEFAULT_PERMISSION_CLASSES": ["exotrack.api.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "exotrack.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # The standardized error schema plus the Idempotency-Key header of creating endpoints.
    "DEFAULT_SCHEMA_CLASS": "exotrack.api.idempotency.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
}
DRF_STANDARDIZED_ERRORS = {
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": False,
    # Services' Django ValidationError / PermissionDenied answered as 400 / 403 bodies.
    "EXCEPTION_HANDLER_CLASS": "exotrack.api.errors.ServiceErrorHandler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ExoTrack API",
    "DESCRIPTION": "Records of an MSC-exosome clinic: patients, lots, visits and doses.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are for staff and their integrations, not the public.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        **{
            name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
            for name in [
                "ValidationErrorEnum",
                "ClientErrorEnum",
                "ServerErrorEnum",
                "ErrorCode401Enum",
                "ErrorCode403Enum",
                "ErrorCode404Enum",
                "ErrorCode405Enum",
                "ErrorCode406Enum",
                "ErrorCode415Enum",
                "ErrorCode429Enum",
                "ErrorCode500Enum",
            ]
        },
        # Choice sets the visit API shows in several places get one name each.
        "RouteEnum": "apps.treatments.models.Route.choices",
        "VisitWarningCodeEnum": "apps.treatments.api.visits.WARNING_CODES",
        # Adverse events: abated / recurred (MedWatch box C) share one choice set.
        "ChallengeEnum": "apps.safety.models.Challenge.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "exotrack.api.schema_hooks.list_item_error_attrs",
        "exotrack.api.schema_hooks.request_too_large_documented",
        "apps.followups.api.follow_ups.desk_hidden_fields_optional",
    ],
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Django's own console handler (DEBUG only) would print each line a second time.
        "django": {"handlers": [], "level": LOG_LEVEL},
    },
}

# History: deletes are recorded too (default is inserts and updates only), so even a
# row removed by hand in SQL leaves its last state behind.
PGHISTORY_DEFAULT_TRACKERS = (
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
)

# FHIR R4 read API and Bulk Data export (docs/fhir.md)
# Base URI of our identifier and code systems (MRN, lots, outcome measures). Keep it
# stable: consumers match identifiers by system and value.
FHIR_SYSTEM_BASE = env.str("FHIR_SYSTEM_BASE", default=f"{SITE_URL}/fhir").rstrip("/")
FHIR_PAGE_SIZE = env.int("FHIR_PAGE_SIZE", default=50)
FHIR_PAGE_SIZE_MAX = env.int("FHIR_PAGE_SIZE_MAX", default=500)
# Bulk Data export files: where they are written and how long they stay downloadable.
FHIR_EXPORT_DIR = Path(env.str("FHIR_EXPORT_DIR", default=str(VAR_DIR / "fhir-exports")))
FHIR_EXPORT_EXPIRY_HOURS = env.int("FHIR_EXPORT_EXPIRY_HOURS", default=24)
CELERY_BEAT_SCHEDULE["fhir-exports-expire"] = {
    "task": "apps.fhir.tasks.bulk_exports_expire",
    "schedule": 3600.0,
}

# Importing a clinic's existing patients from a spreadsheet.
IMPORT_MAX_MEGABYTES = env.int("IMPORT_MAX_MEGABYTES", default=20)
# Files with more rows are checked and imported by the worker, the page showing progress.
IMPORT_INLINE_MAX_ROWS = env.int("IMPORT_INLINE_MAX_ROWS", default=500)

# Staff accounts (apps/accounts): invitations, second factor, API tokens.
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "knox",
]
# OTP after authentication sets request.user; the second-step gate after the session clock,
# so a session that timed out goes to the sign-in page, not to the code page.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("exotrack.middleware.SessionTimeoutMiddleware") + 1,
    "apps.accounts.middleware.SecondFactorMiddleware",
)
# Roles that must pass a second factor after the password. Every staff role unless DEBUG
# (make run's demo users): MFA_REQUIRED_ROLES=manager,clinician turns it on there too.
MFA_REQUIRED_ROLES = env.list(
    "MFA_REQUIRED_ROLES",
    default=[] if DEBUG else ["clinician", "nurse", "front_desk", "manager"],
)
# Wrong second-step codes before that step locks for AXES_COOLOFF_TIME (a manager lifts it).
MFA_FAILURE_LIMIT = env.int("MFA_FAILURE_LIMIT", default=5)
# Our own five-strike lock replaces django-otp's growing delay between attempts.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_TOTP_ISSUER = env.str("MFA_ISSUER", default="ExoTrack")
# Passkeys are a second factor after the password here, never a sign-in of their own.
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_HELPER_CLASS = "apps.accounts.passkeys.ClinicPasskeyHelper"
OTP_WEBAUTHN_RP_ID_CALLABLE = "apps.accounts.passkeys.relying_party_id"
# The page's own address is allowed too (apps/accounts/passkeys.py). Browsers refuse
# passkeys on a bare IP address: locally, open http://localhost:8000 to use them.
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    SITE_URL if SITE_URL.startswith("https://") else "http://localhost:8000"
]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# Set-password links (invitations, resets) work once and for this long.
STAFF_SET_PASSWORD_LINK_HOURS = env.int("STAFF_SET_PASSWORD_LINK_HOURS", default=72)
PASSWORD_RESET_TIMEOUT = STAFF_SET_PASSWORD_LINK_HOURS * 3600
# Forgotten-password requests per client address and per address typed, per hour.
STAFF_PASSWORD_RESET_REQUESTS_PER_HOUR = env.int(
    "STAFF_PASSWORD_RESET_REQUESTS_PER_HOUR", default=5
)
# API tokens: hashed (django-rest-knox), with a name, an expiry and the last use.
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105 (a model name)
# Knox's own migrations would create its unused default token table even though the
# model above replaces it; without them no such table is made.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {"TOKEN_PREFIX": "exo_", "AUTH_HEADER_PREFIX": "Token", "TOKEN_TTL": None}
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=90)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
# Tokens one member may create per hour, and failed token uses per client address per hour.
API_TOKEN_CREATIONS_PER_HOUR = env.int("API_TOKEN_CREATIONS_PER_HOUR", default=10)
API_TOKEN_FAILURES_PER_HOUR = env.int("API_TOKEN_FAILURES_PER_HOUR", default=20)

# Clinical files: signed-consent PDFs and photos (exotrack/private_files.py). A private
# folder by default, never served by the static server; any Django storage instead, e.g.
# {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": ...}} with
# django-storages installed.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
PRIVATE_FILES_STORAGE = {
    "BACKEND": env.str(
        "PRIVATE_FILES_BACKEND", default="django.core.files.storage.FileSystemStorage"
    ),
    "OPTIONS": env.json("PRIVATE_FILES_OPTIONS", default={}),
}
# Consents: a visit relies on a signed consent at most this many days old; a patient's
# remote-signing link works this many days, once.
CONSENT_VALID_DAYS = env.int("CONSENT_VALID_DAYS", default=365)
CONSENT_SIGNING_LINK_DAYS = env.int("CONSENT_SIGNING_LINK_DAYS", default=7)
# Requests to remote-signing links, per client address and per link, each hour: a leaked
# or guessed link cannot be hammered (every signature builds a PDF).
CONSENT_SIGNING_REQUESTS_PER_HOUR = env.int("CONSENT_SIGNING_REQUESTS_PER_HOUR", default=30)
# Photos: the largest upload and picture accepted (a 12-megapixel phone photo is 3-8 MB).
PHOTO_MAX_UPLOAD_BYTES = env.int("PHOTO_MAX_UPLOAD_BYTES", default=25_000_000)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=50_000_000)
