"""`manage.py seed_synthetic`: a consistent synthetic clinic, the same one for the same
seed, and never loaded on top of existing patients."""

import datetime
import io
import math
import zoneinfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from apps.followups.models import FollowUp, ReminderDelivery
from apps.inventory.models import Lot, StockMovement
from apps.outcomes.models import OutcomeAssessment
from apps.patients.models import Medication, Patient, PatientEvent
from apps.safety.models import AdverseEvent, AdverseEventDose
from apps.treatments.models import Dose, DoseEvent, VialsOpened, Visit
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

PATIENTS = 200


def seed_synthetic(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_synthetic", *args, skip_checks=True, stdout=out)
    return out.getvalue()


def fingerprint() -> str:
    """Every dose with its patient, visit day, site and lot, in recording order, minus
    database ids (sequences move on even when a transaction rolls back)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT md5(string_agg(concat_ws('|', p.first_name, p.last_name, p.date_of_birth,
                       p.email, p.immunocompromised, v.visited_at, s.name, l.lot_number,
                       d.billions, d.laterality), ',' ORDER BY p.mrn, v.visited_at, d.id))
            FROM treatments_dose d
            JOIN treatments_visit v ON v.id = d.visit_id
            JOIN patients_patient p ON p.id = v.patient_id
            JOIN treatments_treatmentsite s ON s.id = d.site_id
            JOIN inventory_lot l ON l.id = d.lot_id
            """
        )
        return cursor.fetchone()[0]


class _Rollback(Exception):
    pass


def fingerprint_of_a_run(*args: str) -> str:
    with pytest.raises(_Rollback), transaction.atomic():
        seed_synthetic(*args)
        value = fingerprint()
        raise _Rollback
    return value


def test_builds_a_clinic_of_the_size_asked():
    output = seed_synthetic("--patients", str(PATIENTS), "--seed", "3")

    assert Patient.objects.count() == PATIENTS
    visits, doses = Visit.objects.count(), Dose.objects.count()
    # Several visits per patient, one to four sites per visit.
    assert 3 * PATIENTS <= visits <= 9 * PATIENTS
    assert visits < doses <= 4 * visits
    assert 100 <= Lot.objects.count() <= 500
    assert VialsOpened.objects.count() == visits
    assert f"patients_patient: {PATIENTS} rows in " in output
    # The synthetic load writes no history copies (triggers ignored for that transaction).
    assert not PatientEvent.objects.exists()
    assert not DoseEvent.objects.exists()


def test_risk_profile_and_medications_look_like_a_clinic():
    seed_synthetic("--patients", str(PATIENTS), "--seed", "3")

    share = Patient.objects.aggregate(
        immunocompromised=Count("id", filter=Q(immunocompromised=True)) * 1.0 / PATIENTS,
        cold_sores=Count("id", filter=Q(cold_sore_history=True)) * 1.0 / PATIENTS,
    )
    assert 0.01 <= share["immunocompromised"] <= 0.10
    assert 0.12 <= share["cold_sores"] <= 0.28
    on_antihypertensive = (
        Medication.objects.filter(medication_class__code="antihypertensive")
        .values("patient")
        .distinct()
        .count()
    )
    assert 0.2 * PATIENTS <= on_antihypertensive <= 0.4 * PATIENTS
    assert not Patient.objects.filter(first_name="").exists()
    assert Patient.objects.filter(mrn__startswith="EX").count() == PATIENTS


def test_stock_ledger_is_consistent():
    seed_synthetic("--patients", str(PATIENTS), "--seed", "3")

    ledger = dict(
        StockMovement.objects.values("lot").annotate(total=Sum("vials")).values_list("lot", "total")
    )
    for lot in Lot.objects.all():
        assert lot.vials_on_hand == ledger[lot.id] >= 0
        received = lot.movements.get(kind=StockMovement.Kind.RECEIVED)
        assert received.vials == lot.vials_received
    # Every visit took its vials through one 'used' movement of the lot its doses came from.
    for opened in VialsOpened.objects.select_related("movement", "lot"):
        assert opened.movement.kind == StockMovement.Kind.USED
        assert opened.movement.vials == -opened.vials
        assert opened.movement.lot_id == opened.lot_id
        billions = Dose.objects.filter(visit=opened.visit_id, lot=opened.lot_id).aggregate(
            total=Sum("billions")
        )["total"]
        assert opened.vials == math.ceil(billions / opened.lot.labelled_billions_per_vial)
    # Voided visits put their vials back.
    for visit in Visit.objects.filter(voided_at__isnull=False):
        opened = visit.vials_opened.get()
        assert opened.returned.vials == opened.vials
        assert visit.void_reason


def test_visits_and_doses_are_clinically_plausible():
    seed_synthetic("--patients", str(PATIENTS), "--seed", "3")
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)

    assert not Visit.objects.annotate(n=Count("doses")).filter(n=0).exists()
    assert not Visit.objects.filter(visited_at__gt=timezone.now()).exists()
    assert not Dose.objects.filter(
        Q(billions__lt=F("site__dose_min_billions")) | Q(billions__gt=F("site__dose_max_billions"))
    ).exists()
    two_years_ago = timezone.localdate() - datetime.timedelta(days=731)
    for dose in Dose.objects.select_related("visit", "lot"):
        day = dose.visit.visited_at.astimezone(zone).date()
        assert dose.lot.received_on <= day <= dose.lot.expiry_date
        assert day >= two_years_ago
    for visit in Visit.objects.select_related("patient"):
        assert visit.patient.date_of_birth < visit.visited_at.date()


def test_same_seed_same_clinic_other_seed_other_clinic():
    first = fingerprint_of_a_run("--patients", "50", "--seed", "11")
    again = fingerprint_of_a_run("--patients", "50", "--seed", "11")
    other = fingerprint_of_a_run("--patients", "50", "--seed", "12")

    assert first == again
    assert first != other


def test_history_triggers_work_again_after_the_load():
    with transaction.atomic():
        seed_synthetic("--patients", "5")
        patient = Patient.objects.first()
        patient.phone = "+1 555 0199"
        patient.save()
        assert PatientEvent.objects.filter(pgh_obj=patient).exists()


def test_refuses_a_database_that_already_has_patients():
    PatientFactory()

    with pytest.raises(CommandError, match="already holds patients"):
        seed_synthetic("--patients", "10")
    assert Patient.objects.count() == 1
    assert not Visit.objects.exists()


def test_refuses_to_run_twice():
    seed_synthetic("--patients", "10")

    with pytest.raises(CommandError, match="empty clinic database"):
        seed_synthetic("--patients", "10")
    assert Patient.objects.count() == 10


def test_needs_at_least_one_patient():
    with pytest.raises(CommandError, match="at least 1"):
        seed_synthetic("--patients", "0")


def test_aftercare_follows_the_visits():
    seed_synthetic("--patients", str(PATIENTS), "--seed", "3")
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    today = timezone.localdate()

    assessments = OutcomeAssessment.objects.select_related("dose__visit", "dose__site")
    assert assessments.count() > PATIENTS
    for assessment in assessments:
        visit_day = assessment.dose.visit.visited_at.astimezone(zone).date()
        assert visit_day < assessment.assessed_on < today
        assert assessment.dose.visit.voided_at is None
        assert assessment.dose.baseline_pain is not None
        assert assessment.dose.site.category in ("joint", "tendon", "dental")
    assert AdverseEvent.objects.exists()
    for link in AdverseEventDose.objects.select_related("adverse_event", "dose"):
        assert link.dose.visit_id == link.adverse_event.visit_id
        assert link.adverse_event.patient_id == link.dose.visit.patient_id
    assert not AdverseEvent.objects.annotate(n=Count("doses")).filter(n=0).exists()
    follow_ups = FollowUp.objects.select_related("visit", "patient")
    assert follow_ups.exists()
    for follow_up in follow_ups:
        assert follow_up.patient_id == follow_up.visit.patient_id
        assert follow_up.visit.voided_at is None
        if follow_up.channel == "call":
            assert follow_up.reminders_sent == 0
    for follow_up in FollowUp.objects.filter(reminders_sent__gt=0).annotate(
        sent=Count("deliveries")
    ):
        assert follow_up.channel == "email"
        assert follow_up.sent == follow_up.reminders_sent
        assert follow_up.patient.email_consent
    assert (
        ReminderDelivery.objects.count() == FollowUp.objects.aggregate(n=Sum("reminders_sent"))["n"]
    )
