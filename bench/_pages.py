"""What the page benchmarks share: a signed-in test client per role, a GET that fails the
run on anything but 200, and a count of the session writes each request makes.

Call setup_django() (from _common) before using these."""

from collections.abc import Callable

from _common import Timing, measure

# The statements by which Django's database session store saves a session.
_SESSION_WRITES = ('UPDATE "django_session"', 'INSERT INTO "django_session"')


def signed_in(group: str):
    """A test client signed in as the first user of the group (made when the synthetic
    clinic has none: it has clinicians only)."""
    from django.contrib.auth.models import Group
    from django.test import Client

    from apps.accounts.models import User
    from exotrack.roles import ensure_roles

    user = User.objects.filter(groups__name=group, is_active=True).order_by("id").first()
    if user is None:
        ensure_roles()
        user, _ = User.objects.get_or_create(username=f"bench-{group}")
        user.groups.add(Group.objects.get(name=group))
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def page(client, url: str) -> Callable[[], object]:
    def call():
        response = client.get(url, secure=True)
        if response.status_code != 200:
            where = response.get("Location", "")
            raise SystemExit(f"{url}: HTTP {response.status_code} {where}")
        return response

    return call


class SessionWrites:
    """Counts session saves over a run: the idle sign-out keeps its last-seen time in the
    session and should write it at most once a minute, not on every page."""

    def __init__(self) -> None:
        self.requests = 0
        self.writes = 0

    def _count(self, execute, sql, params, many, context):
        if sql.lstrip().startswith(_SESSION_WRITES):
            self.writes += 1
        return execute(sql, params, many, context)

    def watch(self, call: Callable[[], object]) -> Callable[[], object]:
        from django.db import connection

        def watched():
            self.requests += 1
            with connection.execute_wrapper(self._count):
                return call()

        return watched

    @property
    def cell(self) -> str:
        return f"{self.writes} in {self.requests}"


def measure_pages(label: str, calls: list[Callable[[], object]]) -> tuple[Timing, SessionWrites]:
    writes = SessionWrites()
    return measure(label, [writes.watch(call) for call in calls]), writes


def slowest_select(call: Callable[[], object]) -> tuple[float, str]:
    """Run the call once and EXPLAIN (ANALYZE, BUFFERS) its slowest SELECT: where a page
    spends its database time. Returns that statement's time (ms) and its plan."""
    import time

    from django.db import connection

    timed: list[tuple[float, str, object]] = []

    def timing(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append(((time.perf_counter() - started) * 1000, sql, params))

    with connection.execute_wrapper(timing):
        call()
    selects = [entry for entry in timed if entry[1].lstrip().upper().startswith("SELECT")]
    took, sql, params = max(selects, key=lambda entry: entry[0])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return took, "```\n" + plan + "\n```"
