"""Recording, correcting and voiding adverse events: the clinic's rules, all or nothing,
with history; the seeded list of types."""

import pghistory.models
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.followups.models import SelfReport
from apps.safety.models import AdverseEvent, AdverseEventDose, AdverseEventType
from apps.safety.services.adverse_events import (
    adverse_event_type_seed,
    adverse_event_update,
    adverse_event_void,
)
from tests.factories import DoseFactory, PatientFactory, VisitFactory
from tests.safety import adverse_event_data
from tests.safety.adverse_event_data import (
    SERIOUS,
    days_ago,
    record_event,
    seed_event_types,
    waiting_report,
)

event_types = adverse_event_data.event_types
treated_visit = adverse_event_data.treated_visit


def _nothing_saved() -> None:
    assert not AdverseEvent.objects.exists()
    assert not AdverseEventDose.objects.exists()


def test_a_cold_sore_is_recorded_against_the_doses_and_so_the_lots(
    clinician, treated_visit, event_types
):
    doses = list(treated_visit.doses.order_by("id"))

    event = record_event(
        by=clinician,
        visit=treated_visit,
        event_type=event_types["cold_sore"],
        doses=doses,
        action_taken="  valacyclovir 2 g twice, one day  ",
    )

    event.refresh_from_db()
    assert event.patient == treated_visit.patient and event.created_by == clinician
    assert sorted(d.lot.lot_number for d in event.doses.all()) == ["FACE-1", "KNEE-1"]
    assert event.action_taken == "valacyclovir 2 g twice, one day"
    assert not event.is_serious and event.safety_contact_notified_at is None
    # History names who recorded it.
    inserted = pghistory.models.Events.objects.tracks(event).get(pgh_label="insert")
    assert inserted.pgh_context["user"] == clinician.pk


@pytest.mark.parametrize(
    ("extra", "field", "code"),
    [
        ({"onset_date": days_ago(4)}, "onset_date", "before_visit"),
        ({"onset_date": days_ago(-1)}, "onset_date", "in_future"),
        ({"resolution_date": days_ago(3)}, "resolution_date", "before_onset"),
        ({"resolution_date": days_ago(-1)}, "resolution_date", "in_future"),
        ({"grade": 5, "outcome": "recovered"}, "grade", "grade_5_not_fatal"),
        (
            {"grade": 4, "outcome": "fatal", "seriousness": ["death"], "narrative": "Died."},
            "outcome",
            "fatal_not_grade_5",
        ),
        (
            {"grade": 5, "outcome": "fatal", "narrative": "Died."},
            "seriousness",
            "fatal_not_serious",
        ),
        ({**SERIOUS, "narrative": "  "}, "narrative", "narrative_required"),
        ({"seriousness": ["hospitalisation", "flu"]}, "seriousness", "invalid_choice"),
        ({"weight_kg": 0}, "weight_kg", "invalid_weight"),
        ({"doses": []}, "doses", "required"),
        ({"fda_reference": "MW-1234"}, "reported_to_fda_on", "reference_without_date"),
        ({"reported_to_manufacturer_on": days_ago(-2)}, "reported_to_manufacturer_on", "in_future"),
        ({"outcome": "better"}, "outcome", "invalid_choice"),
    ],
)
def test_each_rule_names_its_field_and_nothing_is_saved(
    clinician, treated_visit, event_types, extra, field, code
):
    with pytest.raises(ValidationError) as refused:
        record_event(
            by=clinician, visit=treated_visit, event_type=event_types["cold_sore"], **extra
        )

    assert code in [e.code for e in refused.value.error_dict[field]]
    _nothing_saved()


def test_other_needs_a_description(clinician, treated_visit, event_types):
    with pytest.raises(ValidationError) as refused:
        record_event(by=clinician, visit=treated_visit, event_type=event_types["other"])
    assert "Describe the event" in refused.value.message_dict["description"][0]

    event = record_event(
        by=clinician,
        visit=treated_visit,
        event_type=event_types["other"],
        description="Headache for two days",
    )
    assert event.description == "Headache for two days"


def test_a_dose_of_another_visit_is_refused(clinician, treated_visit, event_types):
    elsewhere = DoseFactory(visit=VisitFactory(patient=treated_visit.patient))

    with pytest.raises(ValidationError) as refused:
        record_event(
            by=clinician,
            visit=treated_visit,
            event_type=event_types["cold_sore"],
            doses=[elsewhere.pk],
        )

    assert refused.value.message_dict["doses"] == [f"Not a dose of this visit: {elsewhere.pk}."]
    _nothing_saved()


def test_the_visit_must_be_the_patients_own_and_not_voided(clinician, treated_visit, event_types):
    with pytest.raises(ValidationError) as refused:
        record_event(
            by=clinician,
            visit=treated_visit,
            event_type=event_types["cold_sore"],
            patient=PatientFactory(),
        )
    assert refused.value.error_dict["visit"][0].code == "other_patient"

    treated_visit.voided_at = timezone.now()
    treated_visit.save()
    with pytest.raises(ValidationError) as refused:
        record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])
    assert refused.value.error_dict["visit"][0].code == "visit_voided"
    _nothing_saved()


def test_a_retired_type_cannot_be_chosen(clinician, treated_visit, event_types):
    AdverseEventType.objects.filter(code="fever_flu_like").update(active=False)
    with pytest.raises(ValidationError) as refused:
        record_event(
            by=clinician,
            visit=treated_visit,
            event_type=AdverseEventType.objects.get(code="fever_flu_like"),
        )
    assert refused.value.error_dict["event_type"][0].code == "type_retired"


def test_grade_5_with_a_fatal_outcome_and_death_is_accepted(clinician, treated_visit, event_types):
    event = record_event(
        by=clinician,
        visit=treated_visit,
        event_type=event_types["allergic_reaction"],
        grade=5,
        outcome="fatal",
        seriousness=["life_threatening", "death"],
        narrative="Anaphylaxis an hour after injection.",
    )
    # Criteria are kept in the form's order.
    assert event.seriousness == ["death", "life_threatening"]


# --- Confirming a patient's self-report ------------------------------------------


def test_recording_from_a_self_report_confirms_it_in_the_same_transaction(
    clinician, treated_visit, event_types
):
    report = waiting_report(treated_visit.patient)

    event = record_event(
        by=clinician,
        visit=treated_visit,
        event_type=event_types["cold_sore"],
        self_report=report,
    )

    report.refresh_from_db()
    assert report.review == SelfReport.Review.CONFIRMED
    assert report.adverse_event == event and report.reviewed_by == clinician
    assert report.reviewed_at is not None


def test_voiding_a_confirmed_event_sends_its_self_report_back_for_review(
    clinician, treated_visit, event_types
):
    report = waiting_report(treated_visit.patient)
    event = record_event(
        by=clinician,
        visit=treated_visit,
        event_type=event_types["cold_sore"],
        self_report=report,
    )

    adverse_event_void(by=clinician, event=event, reason="Recorded against the wrong visit")

    report.refresh_from_db()
    assert report.review == SelfReport.Review.WAITING
    assert report.adverse_event is None and report.reviewed_by is None
    assert "voided" in report.review_note


def test_a_report_already_reviewed_or_of_another_patient_saves_nothing(
    clinician, treated_visit, event_types
):
    others = waiting_report(PatientFactory())
    with pytest.raises(ValidationError) as refused:
        record_event(
            by=clinician,
            visit=treated_visit,
            event_type=event_types["cold_sore"],
            self_report=others,
        )
    assert refused.value.error_dict["self_report"][0].code == "other_patient"

    dismissed = waiting_report(treated_visit.patient)
    SelfReport.objects.filter(pk=dismissed.pk).update(review=SelfReport.Review.DISMISSED)
    with pytest.raises(ValidationError) as refused:
        record_event(
            by=clinician,
            visit=treated_visit,
            event_type=event_types["cold_sore"],
            self_report=dismissed,
        )
    assert refused.value.error_dict["self_report"][0].code == "reviewed"
    _nothing_saved()


# --- Correcting and voiding ---------------------------------------------------------


def test_an_update_relinks_doses_and_keeps_history(clinician, treated_visit, event_types):
    _knee, face = treated_visit.doses.order_by("id")
    event = record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])

    adverse_event_update(
        by=clinician, event=event, doses=[face.pk], resolution_date=days_ago(0), outcome="recovered"
    )

    event.refresh_from_db()
    assert list(event.doses.all()) == [face]
    assert event.resolution_date == days_ago(0) and event.outcome == "recovered"
    links = pghistory.models.Events.objects.filter(pgh_model="safety.AdverseEventDoseEvent")
    labels = sorted(links.values_list("pgh_label", flat=True))
    assert labels == ["delete", "insert", "insert"]
    assert pghistory.models.Events.objects.tracks(event).filter(pgh_label="update").exists()


def test_an_update_is_checked_as_the_event_would_stand(clinician, treated_visit, event_types):
    event = record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])

    with pytest.raises(ValidationError) as refused:
        adverse_event_update(by=clinician, event=event, seriousness=["other_serious"])

    assert "narrative" in refused.value.error_dict
    event.refresh_from_db()
    assert event.seriousness == []


def test_void_needs_a_reason_and_a_clinician_and_keeps_the_row(
    clinician, nurse, treated_visit, event_types
):
    event = record_event(by=nurse, visit=treated_visit, event_type=event_types["cold_sore"])
    with pytest.raises(PermissionDenied):
        adverse_event_void(by=nurse, event=event, reason="Wrong patient")
    with pytest.raises(ValidationError) as refused:
        adverse_event_void(by=clinician, event=event, reason="  ")
    assert "reason" in refused.value.error_dict

    adverse_event_void(by=clinician, event=event, reason="Recorded against the wrong visit")

    event.refresh_from_db()
    assert event.is_voided and event.voided_by == clinician
    assert event.void_reason == "Recorded against the wrong visit"
    with pytest.raises(ValidationError):
        adverse_event_void(by=clinician, event=event, reason="again")
    with pytest.raises(ValidationError):
        adverse_event_update(by=clinician, event=event, grade=2)


# --- Seeded types -------------------------------------------------------------------


def test_the_seed_adds_seven_types_once_and_keeps_a_managers_rate(db):
    types = seed_event_types()
    assert len(types) == 7
    assert (types["injection_site_infection"].expected_one_in, types["cold_sore"].exposure) == (
        2000,
        "visit",
    )
    assert types["other"].needs_description and types["fever_flu_like"].expected_one_in is None
    AdverseEventType.objects.filter(code="cold_sore").update(expected_one_in=25)

    again = seed_event_types()

    assert AdverseEventType.objects.count() == 7
    assert again["cold_sore"].expected_one_in == 25
    _, created = adverse_event_type_seed(code="cold_sore", name="Renamed")
    assert not created


def test_a_bad_seed_entry_is_a_field_error(db):
    with pytest.raises(ValidationError) as refused:
        adverse_event_type_seed(code="odd", name="Odd", expected_one_in=0)
    assert "expected_one_in" in refused.value.message_dict
