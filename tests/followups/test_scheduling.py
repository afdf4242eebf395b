"""Follow-ups a visit brings (rules, idempotence, backdating), superseding repeat
sessions, cancelling on void, and the staff's add, reschedule, cancel and complete."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.followups.models import Channel, FollowUp, FollowUpEvent, FollowUpRule, Kind
from apps.followups.services import scheduling
from apps.followups.services.scheduling import (
    follow_up_add_by_staff,
    follow_up_cancel,
    follow_up_complete,
    follow_up_reschedule,
    follow_ups_schedule_for_visit,
    reminder_time,
)
from apps.treatments.models import TreatmentSite
from apps.treatments.services import DoseInput, visit_record, visit_void
from tests.factories import (
    FollowUpFactory,
    FollowUpRuleFactory,
    LocationFactory,
    LotFactory,
    PatientFactory,
    TreatmentSiteFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def record_visit(*, by, patient, sites, days_ago: int = 0, lot=None) -> object:
    """A visit recorded through the visit service, so its signals run as in the clinic.
    Each site gets a dose inside its usual range."""
    lot = lot or LotFactory(vials_received=50, labelled_billions_per_vial=Decimal("10"))
    return visit_record(
        by=by,
        patient=patient,
        visited_at=timezone.now() - days_ago * DAY,
        location=LocationFactory(name="Main clinic"),
        clinician=by,
        indication="Treatment",
        consent_recorded=True,
        consent_form_version="v3",
        doses=[
            DoseInput(site=site, lot_id=lot.pk, billions=site.dose_min_billions, laterality="left")
            for site in sites
        ],
    )


@pytest.fixture
def knee(db) -> TreatmentSite:
    return TreatmentSiteFactory()


@pytest.fixture
def systemic(db) -> TreatmentSite:
    return TreatmentSiteFactory(
        name="Systemic",
        category=TreatmentSite.Category.SYSTEMIC,
        dose_min_billions=Decimal("5"),
        dose_max_billions=Decimal("10"),
        default_route="intravenous",
        laterality_applies=False,
    )


@pytest.fixture
def rules(db) -> dict[str, FollowUpRule]:
    return {
        "day3": FollowUpRuleFactory(),
        "joints_outcome": FollowUpRuleFactory(
            code="outcome_week_6",
            name="Outcome at 6 weeks",
            kind=Kind.OUTCOME,
            offset_days=42,
            site_categories=["joint"],
            template="outcome",
        ),
        "monthly": FollowUpRuleFactory(
            code="monthly",
            name="Monthly maintenance",
            kind=Kind.REPEAT_SESSION,
            site_categories=["systemic"],
            offset_days=23,
            repeat=FollowUpRule.Repeat.PERIODIC,
            interval_days=30,
            template="repeat_session",
        ),
        "reassess": FollowUpRuleFactory(
            code="reassess",
            name="Reassess",
            kind=Kind.REPEAT_SESSION,
            site_categories=["joint", "tendon"],
            offset_days=182,
            repeat=FollowUpRule.Repeat.REASSESS,
            template="repeat_session",
        ),
    }


@pytest.fixture
def patient(db):
    return PatientFactory(email_consent=True)


# --- a recorded visit -----------------------------------------------------------------


def test_a_recorded_visit_gets_the_follow_ups_of_the_rules_matching_its_sites(
    clinician, patient, knee, systemic, rules
):
    visit = record_visit(by=clinician, patient=patient, sites=[knee])
    today = timezone.localdate()

    made = {(f.rule.code, f.site_id): f for f in FollowUp.objects.filter(visit=visit)}

    # Day 3 for every site; the 6-week outcome for joints; a reassessment per joint;
    # nothing systemic.
    assert set(made) == {("check_in_day_3", None), ("outcome_week_6", None), ("reassess", knee.pk)}
    day3 = made[("check_in_day_3", None)]
    assert day3.due_on == today + 3 * DAY
    assert day3.channel == Channel.EMAIL and day3.status == FollowUp.Status.PENDING
    assert day3.reminder_state == FollowUp.ReminderState.SCHEDULED
    assert day3.next_reminder_at == reminder_time(today + 3 * DAY)
    assert day3.patient == patient and day3.created_by == clinician
    assert made[("reassess", knee.pk)].due_on == today + 182 * DAY


def test_a_repeat_session_is_one_per_treated_site(clinician, patient, knee, rules):
    shoulder = TreatmentSiteFactory(name="Shoulder")
    visit = record_visit(by=clinician, patient=patient, sites=[knee, shoulder])

    repeats = FollowUp.objects.filter(visit=visit, kind=Kind.REPEAT_SESSION)

    assert sorted(repeats.values_list("site__name", flat=True)) == ["Knee", "Shoulder"]
    # The other rules still make one follow-up for the visit, not one per site.
    assert FollowUp.objects.filter(visit=visit, rule=rules["day3"]).count() == 1


def test_scheduling_twice_makes_nothing_new(clinician, patient, knee, rules):
    visit = record_visit(by=clinician, patient=patient, sites=[knee])
    before = FollowUp.objects.count()

    assert follow_ups_schedule_for_visit(visit=visit, by=clinician) == []
    assert FollowUp.objects.count() == before


def test_inactive_rules_schedule_nothing(clinician, patient, knee, rules):
    FollowUpRule.objects.exclude(pk=rules["day3"].pk).update(active=False)

    visit = record_visit(by=clinician, patient=patient, sites=[knee])

    assert list(FollowUp.objects.filter(visit=visit).values_list("rule", flat=True)) == [
        rules["day3"].pk
    ]


def test_a_patient_without_e_mail_consent_gets_calls(clinician, knee, rules):
    patient = PatientFactory(email_consent=False)

    visit = record_visit(by=clinician, patient=patient, sites=[knee])

    follow_ups = FollowUp.objects.filter(visit=visit)
    assert {f.channel for f in follow_ups} == {Channel.CALL}
    assert {f.next_reminder_at for f in follow_ups} == {None}


def test_a_backdated_visit_skips_follow_ups_long_past_and_keeps_recent_ones(
    clinician, patient, knee, rules, settings
):
    settings.FOLLOWUP_BACKDATED_GRACE_DAYS = 7
    # Recorded 12 days late: day 3 fell due 9 days ago (skipped), the outcome is ahead.
    visit = record_visit(by=clinician, patient=patient, sites=[knee], days_ago=12)

    codes = set(FollowUp.objects.filter(visit=visit).values_list("rule__code", flat=True))
    assert codes == {"outcome_week_6", "reassess"}

    # Recorded 8 days late: day 3 fell due 5 days ago, within the grace: kept, overdue.
    other = record_visit(by=clinician, patient=PatientFactory(), sites=[knee], days_ago=8)
    day3 = FollowUp.objects.get(visit=other, rule=rules["day3"])
    assert day3.due_on == timezone.localdate() - 5 * DAY


def test_a_new_visit_to_the_same_site_supersedes_the_pending_repeat_session(
    clinician, patient, systemic, rules
):
    first = record_visit(by=clinician, patient=patient, sites=[systemic], days_ago=5)
    earlier = FollowUp.objects.get(visit=first, kind=Kind.REPEAT_SESSION)
    check_in = FollowUp.objects.get(visit=first, rule=rules["day3"])

    second = record_visit(by=clinician, patient=patient, sites=[systemic])

    earlier.refresh_from_db()
    assert earlier.status == FollowUp.Status.SUPERSEDED
    assert earlier.next_reminder_at is None
    new = FollowUp.objects.get(visit=second, kind=Kind.REPEAT_SESSION)
    assert new.status == FollowUp.Status.PENDING
    assert new.due_on == timezone.localdate() + 23 * DAY
    # Only repeat sessions are superseded; the first visit's check-ins stand.
    assert FollowUp.objects.get(pk=check_in.pk).status == FollowUp.Status.PENDING


def test_another_site_or_another_patient_does_not_supersede(
    clinician, patient, knee, systemic, rules
):
    first = record_visit(by=clinician, patient=patient, sites=[systemic], days_ago=20)
    record_visit(by=clinician, patient=patient, sites=[knee])
    record_visit(by=clinician, patient=PatientFactory(), sites=[systemic])

    repeat = FollowUp.objects.get(visit=first, kind=Kind.REPEAT_SESSION)
    assert repeat.status == FollowUp.Status.PENDING


def test_a_visit_entered_late_opens_no_repeat_session_a_later_visit_answered(
    clinician, patient, systemic, knee, rules
):
    later = record_visit(by=clinician, patient=patient, sites=[systemic], days_ago=1)

    # Entered after it, though it happened before: its systemic repeat is already answered.
    earlier = record_visit(by=clinician, patient=patient, sites=[systemic, knee], days_ago=3)

    assert FollowUp.objects.get(visit=later, kind=Kind.REPEAT_SESSION).status == "pending"
    repeats = FollowUp.objects.filter(visit=earlier, kind=Kind.REPEAT_SESSION)
    assert list(repeats.values_list("site", flat=True)) == [knee.pk]


def test_a_voided_visit_schedules_nothing(clinician, patient, knee, rules):
    visit = record_visit(by=clinician, patient=patient, sites=[knee])
    visit = visit_void(visit=visit, by=clinician, reason="Wrong patient")
    # Without its cancelled rows, only the voiding can stop a second scheduling.
    FollowUp.objects.filter(visit=visit).delete()

    assert follow_ups_schedule_for_visit(visit=visit, by=clinician) == []


def test_voiding_a_visit_cancels_its_pending_follow_ups_with_the_reason(
    clinician, patient, knee, rules
):
    visit = record_visit(by=clinician, patient=patient, sites=[knee])
    done = FollowUp.objects.get(visit=visit, rule=rules["day3"])
    follow_up_complete(follow_up=done, by=clinician, note="Called: all well.")

    visit_void(visit=visit, by=clinician, reason="Wrong patient")

    others = FollowUp.objects.filter(visit=visit).exclude(pk=done.pk)
    assert {f.status for f in others} == {FollowUp.Status.CANCELLED}
    assert {f.note for f in others} == {"Visit voided: Wrong patient"}
    assert {f.next_reminder_at for f in others} == {None}
    assert FollowUp.objects.get(pk=done.pk).status == FollowUp.Status.COMPLETED


def test_voiding_the_superseding_visit_puts_the_earlier_repeat_session_back(
    clinician, patient, systemic, rules
):
    first = record_visit(by=clinician, patient=patient, sites=[systemic], days_ago=20)
    second = record_visit(by=clinician, patient=patient, sites=[systemic])
    earlier = FollowUp.objects.get(visit=first, kind=Kind.REPEAT_SESSION)
    assert FollowUp.objects.get(pk=earlier.pk).status == FollowUp.Status.SUPERSEDED

    visit_void(visit=second, by=clinician, reason="Recorded twice")

    earlier.refresh_from_db()
    assert earlier.status == FollowUp.Status.PENDING
    assert earlier.next_reminder_at == reminder_time(earlier.due_on)


# --- staff work -----------------------------------------------------------------------


def test_staff_add_a_follow_up_by_hand(front_desk, patient):
    due = timezone.localdate() + 10 * DAY

    follow_up = follow_up_add_by_staff(
        by=front_desk, patient=patient, kind=Kind.CHECK_IN, due_on=due, note=" Asked for a call "
    )

    assert follow_up.rule is None and follow_up.visit is None
    assert follow_up.note == "Asked for a call"
    assert follow_up.next_reminder_at == reminder_time(due)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": Kind.RECALL_CONTACT}, "kind"),
        ({"due_on": None}, "due_on"),
        ({"due_on": timezone.localdate() - DAY}, "due_on"),
        ({"channel": "fax"}, "channel"),
        ({"site": "knee"}, "site"),
    ],
)
def test_a_follow_up_added_by_hand_is_refused_with_the_field_named(
    front_desk, patient, knee, fields, field
):
    values = {"kind": Kind.CHECK_IN, "due_on": timezone.localdate(), **fields}
    if values.get("site") == "knee":
        values["site"] = knee
    with pytest.raises(ValidationError) as refused:
        follow_up_add_by_staff(by=front_desk, patient=patient, **values)

    assert field in refused.value.message_dict
    assert not FollowUp.objects.exists()


def test_rescheduling_moves_the_reminder_not_yet_sent(nurse, patient):
    follow_up = scheduling.follow_up_add(
        by=nurse, patient=patient, kind=Kind.CHECK_IN, due_on=timezone.localdate() + DAY
    )
    new_day = timezone.localdate() + 9 * DAY

    follow_up_reschedule(follow_up=follow_up, by=nurse, due_on=new_day, note="Away")

    follow_up.refresh_from_db()
    assert follow_up.due_on == new_day
    assert follow_up.next_reminder_at == reminder_time(new_day)
    assert follow_up.reminder_state == FollowUp.ReminderState.SCHEDULED
    assert follow_up.note == f"Moved from {timezone.localdate() + DAY:%Y-%m-%d}: Away"


@pytest.mark.parametrize("state", [FollowUp.ReminderState.SENT, FollowUp.ReminderState.FAILED])
def test_rescheduling_after_the_reminder_went_out_sends_it_again_on_the_new_day(
    nurse, patient, state
):
    follow_up = FollowUpFactory(
        patient=patient, visit=None, reminder_state=state, reminders_sent=1, temporary_failures=2
    )
    new_day = timezone.localdate() + 5 * DAY

    follow_up_reschedule(follow_up=follow_up, by=nurse, due_on=new_day)

    follow_up.refresh_from_db()
    assert follow_up.reminder_state == FollowUp.ReminderState.SCHEDULED
    assert follow_up.next_reminder_at == reminder_time(new_day)
    assert follow_up.temporary_failures == 0


def test_rescheduling_for_a_patient_who_withdrew_consent_makes_it_a_call(nurse, patient):
    follow_up = scheduling.follow_up_add(
        by=nurse, patient=patient, kind=Kind.CHECK_IN, due_on=timezone.localdate() + DAY
    )
    patient.email_consent = False
    patient.save()

    follow_up_reschedule(follow_up=follow_up, by=nurse, due_on=timezone.localdate() + 4 * DAY)

    follow_up.refresh_from_db()
    assert follow_up.channel == Channel.CALL and follow_up.next_reminder_at is None


@pytest.mark.parametrize(
    "due_on", [None, timezone.localdate() - DAY, timezone.localdate()], ids=str
)
def test_rescheduling_needs_another_day_not_in_the_past(nurse, patient, due_on):
    follow_up = FollowUpFactory(patient=patient, visit=None, due_on=timezone.localdate())

    with pytest.raises(ValidationError) as refused:
        follow_up_reschedule(follow_up=follow_up, by=nurse, due_on=due_on)

    assert "due_on" in refused.value.message_dict


def test_cancel_needs_a_reason_and_stops_reminders(nurse, patient):
    follow_up = scheduling.follow_up_add(
        by=nurse, patient=patient, kind=Kind.OUTCOME, due_on=timezone.localdate() + DAY
    )
    with pytest.raises(ValidationError) as refused:
        follow_up_cancel(follow_up=follow_up, by=nurse, reason="  ")
    assert "reason" in refused.value.message_dict

    follow_up_cancel(follow_up=follow_up, by=nurse, reason="Moved abroad")

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.CANCELLED
    assert follow_up.note == "Moved abroad" and follow_up.next_reminder_at is None


def test_complete_needs_a_note_keeps_who_and_when_and_stops_reminders(nurse, patient):
    follow_up = scheduling.follow_up_add(
        by=nurse, patient=patient, kind=Kind.CHECK_IN, due_on=timezone.localdate()
    )
    with pytest.raises(ValidationError) as refused:
        follow_up_complete(follow_up=follow_up, by=nurse, note="")
    assert "note" in refused.value.message_dict

    follow_up_complete(follow_up=follow_up, by=nurse, note="No redness, no fever.")

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED
    assert follow_up.completed_by == nurse and follow_up.completed_at is not None
    assert follow_up.completion_note == "No redness, no fever."
    assert follow_up.next_reminder_at is None


@pytest.mark.parametrize(
    ("service", "kwargs", "field"),
    [
        (follow_up_complete, {"note": "Done"}, "note"),
        (follow_up_cancel, {"reason": "No longer needed"}, "reason"),
        (follow_up_reschedule, {"due_on": timezone.localdate() + 3 * DAY}, "due_on"),
    ],
)
@pytest.mark.parametrize(
    "status", [FollowUp.Status.COMPLETED, FollowUp.Status.CANCELLED, FollowUp.Status.SUPERSEDED]
)
def test_only_pending_follow_ups_can_be_changed(nurse, patient, service, kwargs, field, status):
    follow_up = FollowUpFactory(patient=patient, visit=None, status=status, note="as it was")

    with pytest.raises(ValidationError) as refused:
        service(follow_up=follow_up, by=nurse, **kwargs)

    assert refused.value.message_dict[field] == [
        f"This follow-up is already {FollowUp.Status(status).label.lower()}."
    ]
    follow_up.refresh_from_db()
    assert follow_up.status == status and follow_up.note == "as it was"


def test_staff_changes_leave_history_naming_who(nurse, patient):
    follow_up = scheduling.follow_up_add(
        by=nurse, patient=patient, kind=Kind.CHECK_IN, due_on=timezone.localdate()
    )

    follow_up_complete(follow_up=follow_up, by=nurse, note="Called")

    events = FollowUpEvent.objects.filter(pgh_obj=follow_up).order_by("pgh_id")
    assert [e.status for e in events] == ["pending", "completed"]
    assert events.last().pgh_context.metadata["user"] == nurse.pk
