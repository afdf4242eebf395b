"""The same self-report link sent several times at once (a double tap, two tabs): real
threads, each with its own PostgreSQL connection. One submission is stored; the others
are told the link was used, and nothing is stored twice."""

import threading

import pytest
from django.db import connection

from apps.followups.models import FollowUp, Kind, SelfReport
from apps.followups.services.self_reports import (
    SelfReportAnswers,
    SelfReportUnavailable,
    self_report_submit,
)
from apps.outcomes.models import OutcomeAssessment
from exotrack.roles import ensure_roles
from tests.builders import treated
from tests.factories import FollowUpFactory

THREADS = 6
ANSWERS = SelfReportAnswers(
    pain=3,
    pgic=2,
    percent_better=None,
    cold_sore=False,
    wound_signs=True,
    fever=False,
    dizziness=False,
)


@pytest.fixture
def follow_up(transactional_db):
    ensure_roles()
    return FollowUpFactory(visit=treated(14).visit, kind=Kind.CHECK_IN)


def test_only_one_of_simultaneous_submissions_is_stored(follow_up):
    barrier = threading.Barrier(THREADS)
    stored, refused, crashes = [], [], []

    def submit() -> None:
        try:
            barrier.wait()
            stored.append(self_report_submit(follow_up_id=follow_up.pk, answers=ANSWERS))
        except SelfReportUnavailable as closed:
            refused.append(closed.reason)
        except Exception as crash:  # reported below
            crashes.append(crash)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert crashes == []
    assert len(stored) == 1
    assert refused == ["used"] * (THREADS - 1)
    assert OutcomeAssessment.objects.count() == 1
    assert SelfReport.objects.count() == 1
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED
