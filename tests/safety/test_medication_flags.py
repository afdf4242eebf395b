"""Medication-adjustment flags: raised when a visit is recorded, raised by hand,
acknowledged and resolved, each step with who and when and its history."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from apps.safety.models import MedicationFlag
from apps.safety.services.medication_flags import (
    medication_flag_acknowledge,
    medication_flag_raise,
    medication_flag_resolve,
    medication_flags_raise,
)
from apps.treatments.services import visit_void
from tests.builders import knee_dose, record
from tests.factories import (
    LocationFactory,
    LotFactory,
    MedicationClassFactory,
    MedicationFactory,
    MedicationFlagFactory,
    PatientFactory,
    TreatmentSiteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def antihypertensive(db):
    return MedicationClassFactory(code="antihypertensive", review_within_days=14)


@pytest.fixture
def thyroid(db):
    return MedicationClassFactory(code="thyroid_hormone", review_within_days=30)


@pytest.fixture
def unwatched(db):
    return MedicationClassFactory(code="anticoagulant", watched=False)


@pytest.fixture
def patient(db):
    return PatientFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def treat(clinician):
    """Record a visit treating one knee from a fresh lot, as the visit page does."""
    location, knee = LocationFactory(), TreatmentSiteFactory()

    def _run(patient, **extra):
        lot = LotFactory()
        return record(
            by=clinician,
            patient=patient,
            location=location,
            clinician=clinician,
            doses=[knee_dose(knee, lot)],
            **extra,
        )

    return _run


class TestRaisedByAVisit:
    def test_one_flag_per_watched_medication_taken_that_day(
        self, treat, patient, antihypertensive, thyroid, unwatched
    ):
        today = timezone.localdate()
        lisinopril = MedicationFactory(
            patient=patient, name="Lisinopril", medication_class=antihypertensive
        )
        levothyroxine = MedicationFactory(
            patient=patient, name="Levothyroxine", medication_class=thyroid
        )
        MedicationFactory(patient=patient, name="Warfarin", medication_class=unwatched)
        MedicationFactory(
            patient=patient,
            name="Amlodipine",
            medication_class=antihypertensive,
            stopped_on=today - datetime.timedelta(days=3),
        )
        MedicationFactory(
            patient=patient,
            name="Metoprolol",
            medication_class=antihypertensive,
            started_on=today + datetime.timedelta(days=2),
        )
        visit = treat(patient)

        flags = {f.medication.name: f for f in MedicationFlag.objects.select_related("medication")}
        assert set(flags) == {"Lisinopril", "Levothyroxine"}
        lisinopril_flag = flags["Lisinopril"]
        assert lisinopril_flag.medication == lisinopril
        assert lisinopril_flag.source == MedicationFlag.Source.VISIT
        assert lisinopril_flag.visit == visit
        assert lisinopril_flag.status == MedicationFlag.Status.OPEN
        assert lisinopril_flag.review_by == today + datetime.timedelta(days=14)
        assert flags["Levothyroxine"].medication == levothyroxine
        assert flags["Levothyroxine"].review_by == today + datetime.timedelta(days=30)

    def test_each_flag_says_what_its_class_says(self, treat, patient, antihypertensive):
        tacrolimus_class = MedicationClassFactory(
            code="immunosuppressant",
            flag_reason="Review with the transplant team; never reduce it ourselves.",
        )
        MedicationFactory(patient=patient, name="Tacrolimus", medication_class=tacrolimus_class)
        MedicationFactory(patient=patient, name="Lisinopril", medication_class=antihypertensive)
        visit = treat(patient)

        day = f"{timezone.localdate(visit.visited_at):%Y-%m-%d}"
        reasons = dict(MedicationFlag.objects.values_list("medication__name", "reason"))
        assert reasons["Tacrolimus"] == (
            f"Treated on {day}. Review with the transplant team; never reduce it ourselves."
        )
        assert reasons["Lisinopril"] == f"Treated on {day}. {antihypertensive.flag_reason}"
        assert "less of this medication" not in reasons["Tacrolimus"]

    def test_not_raised_again_while_unresolved_and_again_after_resolution(
        self, treat, patient, antihypertensive, clinician
    ):
        MedicationFactory(patient=patient, medication_class=antihypertensive)
        treat(patient)
        first = MedicationFlag.objects.get()
        medication_flag_acknowledge(by=clinician, flag=first)
        treat(patient)
        assert MedicationFlag.objects.count() == 1

        medication_flag_resolve(by=clinician, flag=first, action="unchanged")
        treat(patient)
        assert MedicationFlag.objects.count() == 2
        assert MedicationFlag.objects.exclude(pk=first.pk).get().status == "open"

    def test_a_voided_visit_leaves_its_flag_for_review(
        self, treat, patient, antihypertensive, clinician
    ):
        MedicationFactory(patient=patient, medication_class=antihypertensive)
        visit = treat(patient)
        visit_void(visit=visit, by=clinician, reason="Recorded twice")
        # The medication still deserves a look; a second visit adds nothing.
        assert MedicationFlag.objects.get().status == "open"
        treat(patient)
        assert MedicationFlag.objects.count() == 1

    def test_no_watched_medication_no_flag(self, treat, patient, unwatched):
        MedicationFactory(patient=patient, medication_class=unwatched)
        treat(patient)
        assert not MedicationFlag.objects.exists()


class TestRaisedByHand:
    def test_raise_for_one_medication(self, nurse, antihypertensive):
        medication = MedicationFactory(medication_class=antihypertensive)
        flag = medication_flag_raise(by=nurse, medication=medication, reason=" Dizzy at home ")
        assert flag.source == MedicationFlag.Source.MANUAL
        assert flag.reason == "Dizzy at home"
        assert flag.created_by == nurse
        assert flag.patient == medication.patient
        assert flag.review_by == timezone.localdate() + datetime.timedelta(days=14)

    def test_refused_while_one_is_unresolved(self, nurse, antihypertensive):
        flag = MedicationFlagFactory(
            medication=MedicationFactory(name="Lisinopril", medication_class=antihypertensive)
        )
        with pytest.raises(ValidationError) as refused:
            medication_flag_raise(by=nurse, medication=flag.medication, reason="again")
        assert refused.value.message_dict == {
            "medication": [
                f"Lisinopril already has a flag to review, review by {flag.review_by:%Y-%m-%d}."
            ]
        }
        assert MedicationFlag.objects.count() == 1

    def test_a_reason_is_required(self, nurse, antihypertensive):
        medication = MedicationFactory(medication_class=antihypertensive)
        with pytest.raises(ValidationError) as refused:
            medication_flag_raise(by=nurse, medication=medication, reason="  ")
        assert set(refused.value.message_dict) == {"reason"}
        assert not MedicationFlag.objects.exists()

    def test_refused_for_a_voided_patient(self, nurse, antihypertensive):
        patient = PatientFactory(voided_at=timezone.now(), void_reason="duplicate")
        medication = MedicationFactory(patient=patient, medication_class=antihypertensive)
        with pytest.raises(ValidationError):
            medication_flag_raise(by=nurse, medication=medication, reason="dizzy")


class TestReview:
    def test_acknowledge_records_who_and_when_with_history(self, clinician):
        flag = MedicationFlagFactory()
        before = timezone.now()
        medication_flag_acknowledge(by=clinician, flag=flag)
        flag.refresh_from_db()
        assert flag.status == "acknowledged"
        assert flag.acknowledged_by == clinician
        assert flag.acknowledged_at >= before
        events = list(flag.events.order_by("pgh_id").values_list("status", "pgh_context"))
        assert [status for status, _ in events] == ["open", "acknowledged"]
        assert events[-1][1] is not None

    def test_only_open_flags_are_acknowledged(self, clinician):
        flag = MedicationFlagFactory(status="acknowledged")
        with pytest.raises(ValidationError) as refused:
            medication_flag_acknowledge(by=clinician, flag=flag)
        assert refused.value.message_dict == {"status": ["This flag is acknowledged, not open."]}

    @pytest.mark.parametrize("start", ["open", "acknowledged"])
    def test_resolve_with_the_action_taken(self, clinician, start):
        flag = MedicationFlagFactory(status=start)
        medication_flag_resolve(by=clinician, flag=flag, action="dose_reduced", note=" 5 mg ")
        flag.refresh_from_db()
        assert (flag.status, flag.action, flag.resolution_note) == (
            "resolved",
            "dose_reduced",
            "5 mg",
        )
        assert flag.resolved_by == clinician and flag.resolved_at is not None
        # Resolving straight away counts as having seen it.
        assert flag.acknowledged_at is not None

    def test_resolve_needs_an_action_and_an_unresolved_flag(self, clinician):
        flag = MedicationFlagFactory()
        with pytest.raises(ValidationError) as no_action:
            medication_flag_resolve(by=clinician, flag=flag, action="")
        assert set(no_action.value.message_dict) == {"action"}
        flag.refresh_from_db()
        assert flag.status == "open"
        medication_flag_resolve(by=clinician, flag=flag, action="referred")
        with pytest.raises(ValidationError) as again:
            medication_flag_resolve(by=clinician, flag=flag, action="stopped")
        assert again.value.message_dict == {"status": ["This flag is already resolved."]}
        flag.refresh_from_db()
        assert flag.action == "referred"


@pytest.mark.django_db(transaction=True)
def test_two_visits_recorded_at_once_raise_one_flag(clinician, antihypertensive):
    """Two sessions raising for the same patient at once: the unique index and the
    savepoint make the second a no-op, not an error."""
    medication = MedicationFactory(medication_class=antihypertensive)
    barrier = threading.Barrier(2)
    errors = []

    def raise_flags():
        try:
            barrier.wait()
            medication_flags_raise(
                by=clinician,
                patient=medication.patient,
                source=MedicationFlag.Source.VISIT,
                reason="Treated",
            )
        except Exception as error:  # any error fails the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=raise_flags) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert MedicationFlag.objects.filter(medication=medication).count() == 1
