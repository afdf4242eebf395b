"""Past visits recorded many at once (an import): the rules of visit_record, with the
same warnings and field errors, kept acknowledged as imported; one read of each kind and
one insert per table for the whole batch; history kept; no stock taken; no follow-up
whose day has passed; the other parts of the clinic (consents, follow-ups, medication
flags) told of the visits together."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.consents.models import VisitConsent
from apps.consents.services import consent_form_create
from apps.followups.models import FollowUp, Kind
from apps.inventory.models import StockMovement
from apps.safety.models import MedicationFlag
from apps.treatments.models import Visit, VisitWarning
from apps.treatments.services import (
    DoseInput,
    VisitEntry,
    WarningsNeedAcknowledgement,
    past_visits_record,
    visit_record,
)
from tests.builders import BODY, consent_signed, knee_dose
from tests.factories import (
    FollowUpFactory,
    FollowUpRuleFactory,
    LocationFactory,
    LotFactory,
    MedicationFactory,
    PatientFactory,
    TreatmentSiteFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

REASON = "Imported from old-clinic.csv (past record)"


@pytest.fixture
def location(db):
    return LocationFactory(name="Main clinic")


@pytest.fixture
def knee(db):
    return TreatmentSiteFactory()  # a joint, 3-5 bn usual, sides apply


@pytest.fixture
def lot(db):
    return LotFactory(vials_received=100)


def _days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def _past(patient, clinician, location, doses, *, days_ago: int, **extra) -> VisitEntry:
    fields = {"indication": "Osteoarthritis, knee", **extra}
    return VisitEntry(
        patient=patient,
        visited_at=_days_ago(days_ago),
        location=location,
        clinician=clinician,
        doses=doses,
        **fields,
    )


def _one_by_one(clinician, past: VisitEntry) -> Visit:
    """visit_record by a clinician who gives the import's reason for every warning."""
    fields = {
        "by": clinician,
        "patient": past.patient,
        "visited_at": past.visited_at,
        "location": past.location,
        "clinician": past.clinician,
        "indication": past.indication,
        "doses": past.doses,
        "cold_sore_prophylaxis": past.cold_sore_prophylaxis,
    }
    try:
        return visit_record(**fields)
    except WarningsNeedAcknowledgement as pending:
        return visit_record(**fields, acknowledgements={w.code: REASON for w in pending.warnings})


def test_the_same_warnings_as_recording_each_visit_by_itself(
    clinician, nurse, manager, location, knee, lot
):
    version = consent_form_create(
        title="Knee treatment", body=BODY, site_categories=["joint"], by=manager
    )

    def twin_visits() -> list[tuple]:
        """The same patients and visits, made anew: (visit, the consent it relies on)."""
        heavy = PatientFactory(immunocompromised=True, immunocompromised_note="on tacrolimus")
        sores = PatientFactory(cold_sore_history=True)
        consented = PatientFactory()
        consent = consent_signed(version, consented, by=nurse)  # now, before its visit
        nine = [knee_dose(knee, lot, "9", "left"), knee_dose(knee, lot, "9", "right")]
        return [
            # 18 bn each, ten days apart: the second goes over the 30-day 30 bn.
            (_past(heavy, clinician, location, nine, days_ago=20), None),
            (_past(heavy, clinician, location, nine, days_ago=10), None),
            (_past(sores, clinician, location, [knee_dose(knee, lot)], days_ago=15), None),
            (_past(consented, clinician, location, [knee_dose(knee, lot)], days_ago=0), consent),
        ]

    single = twin_visits()
    batched = twin_visits()
    for past, _ in single:
        _one_by_one(clinician, past)
    recorded = past_visits_record(by=manager, visits=[past for past, _ in batched], reason=REASON)

    def warnings(visit: Visit) -> list[tuple[str, str]]:
        return [(w.code, w.message) for w in visit.warnings.order_by("id")]

    single_visits = [
        Visit.objects.get(patient=past.patient, visited_at=past.visited_at) for past, _ in single
    ]
    assert [warnings(v) for v in recorded] == [warnings(v) for v in single_visits]
    codes = [{code for code, _ in warnings(v)} for v in recorded]
    assert codes == [
        {"dose_out_of_range", "immunocompromised", "no_signed_consent"},
        {"dose_out_of_range", "immunocompromised", "no_signed_consent", "cumulative_dose_high"},
        {"cold_sore_no_prophylaxis", "no_signed_consent"},
        set(),  # the consent signed before the visit covers the knee
    ]
    # Kept, acknowledged as imported by the manager; nothing waits for a sign-off.
    kept = VisitWarning.objects.filter(visit__in=recorded)
    assert {(w.acknowledged_by, w.reason) for w in kept} == {(manager, REASON)}
    assert {v.sign_off for v in recorded} == {Visit.SignOff.NOT_NEEDED}
    assert not any(v.chart_review for v in recorded)
    # The consent relied on is kept with the visit, as when recorded by itself.
    links = VisitConsent.objects.filter(visit__in=recorded).values_list("visit", "consent")
    assert list(links) == [(recorded[3].pk, batched[3][1].pk)]
    assert VisitConsent.objects.filter(visit=single_visits[3], consent=single[3][1]).exists()


def test_a_refused_visit_has_the_errors_of_visit_record_and_the_others_are_saved(
    clinician, manager, location, knee, lot
):
    patient = PatientFactory(date_of_birth=datetime.date(1970, 1, 1))
    movements = StockMovement.objects.count()
    good = _past(patient, clinician, location, [knee_dose(knee, lot)], days_ago=30)
    sideless = _past(
        patient,
        clinician,
        location,
        [DoseInput(site=knee, lot_id=lot.pk, billions=Decimal(4))],
        days_ago=20,
    )
    empty = _past(patient, clinician, location, [], days_ago=10, indication=" ")

    results = past_visits_record(by=manager, visits=[sideless, good, empty], reason=REASON)

    assert isinstance(results[1], Visit)
    assert Visit.objects.get() == results[1]
    for past, refusal in ((sideless, results[0]), (empty, results[2])):
        assert isinstance(refusal, ValidationError)
        with pytest.raises(ValidationError) as alone:
            _one_by_one(clinician, past)
        assert refusal.message_dict == alone.value.message_dict
    assert set(results[0].message_dict) == {"doses.0.laterality"}
    assert set(results[2].message_dict) == {"indication", "doses"}
    # A past visit's vials were used then: nothing is taken from stock now.
    assert StockMovement.objects.count() == movements


def test_the_reads_and_inserts_do_not_grow_with_the_visits(clinician, manager, location, knee, lot):
    def queries(visits: int) -> int:
        batch = [
            _past(PatientFactory(), clinician, location, [knee_dose(knee, lot)], days_ago=days)
            for days in range(40, 40 + visits)
        ]
        with CaptureQueriesContext(connection) as captured:
            past_visits_record(by=manager, visits=batch, reason=REASON)
        return len(captured.captured_queries)

    assert queries(2) == queries(40)


def test_history_names_the_importing_manager(clinician, manager, location, knee, lot):
    patient = PatientFactory()
    recorded = past_visits_record(
        by=manager,
        visits=[_past(patient, clinician, location, [knee_dose(knee, lot, "9")], days_ago=60)],
        reason=REASON,
    )
    # Row triggers: a bulk insert writes one event per row, each naming the manager.
    warnings = VisitWarning.objects.filter(visit__in=recorded).count()
    assert warnings == 2  # the 9 bn dose out of range, no consent recorded
    for model, lookup, rows in (
        ("VisitEvent", {"pgh_obj__in": recorded}, 1),
        ("DoseEvent", {"pgh_obj__visit__in": recorded}, 1),
        ("VisitWarningEvent", {"pgh_obj__visit__in": recorded}, warnings),
    ):
        events = apps.get_model("treatments", model).objects.filter(**lookup)
        assert [e.pgh_context.metadata["user"] for e in events] == [manager.pk] * rows, model


def test_follow_ups_and_flags_as_for_a_visit_recorded_by_itself(
    clinician, manager, location, knee, lot
):
    FollowUpRuleFactory()  # day-3 check
    FollowUpRuleFactory(code="outcome_week_6", name="Six weeks", offset_days=42)
    patient = PatientFactory()
    MedicationFactory(patient=patient)  # in a watched class
    earlier = VisitFactory(patient=patient, visited_at=_days_ago(90))
    waiting = FollowUpFactory(
        visit=earlier, kind=Kind.REPEAT_SESSION, site=knee, due_on=timezone.localdate()
    )
    old = _past(PatientFactory(), clinician, location, [knee_dose(knee, lot)], days_ago=400)
    recent = _past(patient, clinician, location, [knee_dose(knee, lot)], days_ago=5)

    old_visit, recent_visit = past_visits_record(by=manager, visits=[old, recent], reason=REASON)

    # Only what is still ahead: the six-week outcome of five days ago, nothing for the old one.
    made = FollowUp.objects.filter(visit__in=[old_visit, recent_visit])
    assert [(f.visit, f.due_on) for f in made] == [
        (recent_visit, timezone.localdate() + datetime.timedelta(days=37))
    ]
    # The knee treated now answers the earlier visit's repeat-session reminder.
    waiting.refresh_from_db()
    assert waiting.status == FollowUp.Status.SUPERSEDED
    flags = MedicationFlag.objects.filter(patient=patient)
    assert [(f.visit, f.source) for f in flags] == [(recent_visit, MedicationFlag.Source.VISIT)]
