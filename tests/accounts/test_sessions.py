"""Session lifetime on a shared workstation: idle limit and a 12-hour cap."""

import time

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exotrack.middleware import activity_resolution, describe_duration

DASHBOARD = reverse("dashboard")
LOGIN = reverse("login")


@pytest.fixture
def signed_in(client, nurse, password):
    # Through the sign-in form: the lockout backend needs the request to authenticate.
    response = client.post(LOGIN, {"username": nurse.username, "password": password})
    assert response.status_code == 302
    return client


def _shift_clock(client, *, started_ago: float, seen_ago: float) -> None:
    session = client.session
    now = time.time()
    session["session_started_at"] = now - started_ago
    session["session_last_seen_at"] = now - seen_ago
    session.save()


def _session_writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().startswith("SELECT")
    ]


def test_sign_in_starts_the_session_clock(signed_in):
    session = signed_in.session
    assert abs(session["session_started_at"] - time.time()) < 5
    assert session["session_last_seen_at"] == session["session_started_at"]


def test_a_session_in_use_stays_open_and_its_clock_moves(signed_in):
    _shift_clock(signed_in, started_ago=3600, seen_ago=60)

    response = signed_in.get(DASHBOARD)

    assert response.status_code == 200
    assert time.time() - signed_in.session["session_last_seen_at"] < 5


def test_pages_within_the_resolution_write_no_session(signed_in, settings):
    _shift_clock(signed_in, started_ago=3600, seen_ago=settings.SESSION_ACTIVITY_RESOLUTION - 10)
    seen_before = signed_in.session["session_last_seen_at"]

    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert signed_in.get(DASHBOARD).status_code == 200

    writes = [
        q["sql"] for q in queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]
    ]
    assert writes == []
    assert signed_in.session["session_last_seen_at"] == seen_before


def test_the_idle_clock_is_written_once_it_is_a_resolution_old(signed_in, settings):
    _shift_clock(signed_in, started_ago=3600, seen_ago=settings.SESSION_ACTIVITY_RESOLUTION + 1)

    with CaptureQueriesContext(connection) as queries:
        assert signed_in.get(DASHBOARD).status_code == 200
        assert signed_in.get(DASHBOARD).status_code == 200

    writes = [
        q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]
    ]
    assert len(writes) == 1
    assert time.time() - signed_in.session["session_last_seen_at"] < 5


def test_a_short_idle_limit_keeps_the_clock_finer(settings):
    settings.SESSION_IDLE_TIMEOUT = 150
    assert activity_resolution() == 10


def test_idle_past_the_limit_signs_out_and_says_why(signed_in, settings):
    _shift_clock(signed_in, started_ago=3600, seen_ago=settings.SESSION_IDLE_TIMEOUT + 1)

    response = signed_in.get(DASHBOARD)

    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next={DASHBOARD}"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "You were signed out after 15 minutes without activity."
    ]
    assert "_auth_user_id" not in signed_in.session
    assert signed_in.get(DASHBOARD).url == f"{LOGIN}?next={DASHBOARD}"


def test_twelve_hours_end_a_session_however_busy(signed_in, settings):
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 60 * 60
    _shift_clock(signed_in, started_ago=12 * 60 * 60 - 30, seen_ago=1)
    assert signed_in.get(DASHBOARD).status_code == 200

    _shift_clock(signed_in, started_ago=12 * 60 * 60 + 1, seen_ago=1)
    response = signed_in.get(DASHBOARD)

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "You were signed out: a session lasts at most 12 hours. Please sign in again."
    ]
    assert "_auth_user_id" not in signed_in.session


def test_the_stored_session_outlives_the_idle_limit_so_the_reason_can_be_shown(settings):
    # Were the stored session to expire with the idle limit, it would vanish silently.
    assert settings.SESSION_COOKIE_AGE >= settings.SESSION_ABSOLUTE_TIMEOUT
    assert settings.SESSION_IDLE_TIMEOUT < settings.SESSION_COOKIE_AGE


def test_an_htmx_request_after_expiry_loads_the_sign_in_page_whole(signed_in, settings):
    _shift_clock(signed_in, started_ago=60, seen_ago=settings.SESSION_IDLE_TIMEOUT + 1)

    response = signed_in.get(DASHBOARD, headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"] == LOGIN


def test_an_expired_session_gets_no_data_from_the_api(signed_in, settings):
    _shift_clock(signed_in, started_ago=60, seen_ago=settings.SESSION_IDLE_TIMEOUT + 1)

    response = signed_in.get("/api/v1/")

    assert response.status_code in (401, 403)
    assert response.json()["errors"][0]["code"] == "not_authenticated"
    assert "_auth_user_id" not in signed_in.session


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (2, "2 seconds"),
        (60, "1 minute"),
        (900, "15 minutes"),
        (5400, "90 minutes"),
        (3600, "1 hour"),
        (43200, "12 hours"),
    ],
)
def test_durations_read_naturally(seconds, words):
    assert describe_duration(seconds) == words
