"""/healthz: is the database and the broker reachable? For load balancers and ops.

The answer (200 or 503) depends on the database and the broker only. The age of the
worker's last heartbeat is reported alongside: a quiet queue is not an outage, but an
hour-old heartbeat tells ops that reminders are not going out."""

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from exotrack.models import WorkerHeartbeat

# A load balancer polls often; a dead dependency must not hold the request for long.
CHECK_TIMEOUT_SECONDS = 2


def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    """Note that a worker is alive. One upsert, so workers racing on a fresh
    database cannot collide on the singleton row."""
    heartbeat = WorkerHeartbeat(pk=1, beat_at=timezone.now(), hostname=hostname[:200])
    WorkerHeartbeat.objects.bulk_create(
        [heartbeat],
        update_conflicts=True,
        unique_fields=["id"],
        update_fields=["beat_at", "hostname"],
    )
    return heartbeat


def worker_heartbeat_last() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.filter(pk=1).first()


def _database_ok() -> tuple[bool, str]:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # A database that accepts connections but does not answer is down too.
            cursor.execute(f"SET LOCAL statement_timeout = {CHECK_TIMEOUT_SECONDS * 1000}")
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as error:
        return False, type(error).__name__


def _broker_ok() -> tuple[bool, str]:
    # Built from the settings of this moment (not the Celery app's configuration, read
    # once at import), so an overridden or changed broker URL is the one checked.
    broker = Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=CHECK_TIMEOUT_SECONDS,
        transport_options={
            **getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
            "socket_timeout": CHECK_TIMEOUT_SECONDS,
            "socket_connect_timeout": CHECK_TIMEOUT_SECONDS,
        },
    )
    try:
        with broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=CHECK_TIMEOUT_SECONDS)
        return True, "ok"
    except Exception as error:
        return False, type(error).__name__


def _worker_heartbeat() -> dict | None:
    try:
        heartbeat = worker_heartbeat_last()
    except DatabaseError:
        # Informative only: a database without the table yet must not turn this into a 500.
        return None
    if heartbeat is None:
        return None
    return {
        "last_seen": heartbeat.beat_at.isoformat(),
        "age_seconds": round((timezone.now() - heartbeat.beat_at).total_seconds()),
        "hostname": heartbeat.hostname,
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    healthy = db_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": db_detail,
            "broker": broker_detail,
            "worker_heartbeat": _worker_heartbeat() if db_ok else None,
        },
        status=200 if healthy else 503,
    )
