"""The rename of PatientReport to SelfReport keeps every report, its change history and
the permissions staff hold on it, and history is still written after it."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.accounts.models import User
from apps.followups.models import Kind, SelfReport
from tests.builders import treated
from tests.factories import FollowUpFactory

BEFORE_RENAME = [("followups", "0004_history_leaves_out_sender_leases")]


def _migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def _count(sql: str, *params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_reports_their_history_and_permissions_survive_the_rename(clinician):
    dose = treated(14)
    follow_up = FollowUpFactory(visit=dose.visit, kind=Kind.CHECK_IN, status="completed")
    report = SelfReport.objects.create(
        follow_up=follow_up,
        patient=follow_up.patient,
        submitted_at=timezone.now(),
        cold_sore=False,
        wound_signs=True,
        fever=False,
        dizziness=False,
        review=SelfReport.Review.WAITING,
    )
    SelfReport.objects.filter(pk=report.pk).update(review_note="Called the patient.")

    _migrate(BEFORE_RENAME)
    try:
        assert _count("SELECT count(*) FROM followups_patientreport WHERE id = %s", report.pk) == 1
        old_history = "SELECT count(*) FROM followups_patientreportevent WHERE pgh_obj_id = %s"
        assert _count(old_history, report.pk) == 2
        assert Permission.objects.filter(codename="change_patientreport").exists()
    finally:
        _migrate()

    kept = SelfReport.objects.get(pk=report.pk)
    assert (kept.wound_signs, kept.review_note) == (True, "Called the patient.")
    assert list(kept.events.order_by("pgh_id").values_list("pgh_label", flat=True)) == [
        "insert",
        "update",
    ]
    SelfReport.objects.filter(pk=report.pk).update(review=SelfReport.Review.DISMISSED)
    assert kept.events.count() == 3
    assert not Permission.objects.filter(codename__endswith="_patientreport").exists()
    assert User.objects.get(pk=clinician.pk).has_perm("followups.change_selfreport")
