"""The staff worklist: sections by urgency, what each role sees, inline work with htmx,
a constant query count; and the patient page's follow-ups."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.followups.models import Channel, FollowUp, Kind, SelfReport
from apps.followups.services.scheduling import reminder_time
from tests.builders import assert_nothing_changed
from tests.factories import FollowUpFactory, PatientFactory, TreatmentSiteFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
WORKLIST = "/follow-ups/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _due(days: int, **fields) -> FollowUp:
    return FollowUpFactory(due_on=timezone.localdate() + days * DAY, **fields)


@pytest.fixture
def day(db) -> dict[str, FollowUp]:
    """One follow-up for each place on (or off) the worklist."""
    knee = TreatmentSiteFactory()
    return {
        "overdue": _due(-2, kind=Kind.OUTCOME),
        "today": _due(0, site=knee, kind=Kind.REPEAT_SESSION),
        "failed": _due(3, reminder_state=FollowUp.ReminderState.FAILED),
        "call": _due(-1, channel=Channel.CALL, patient=PatientFactory(phone="+1 555 0199")),
        "call_later": _due(2, channel=Channel.CALL),
        "later": _due(1),
        "done": _due(-1, status=FollowUp.Status.COMPLETED),
    }


def _section(response, name: str) -> list[int]:
    return [f.pk for f in getattr(response.context["worklist"], name)]


def test_each_follow_up_sits_in_one_section_by_urgency(client, nurse, day):
    client.force_login(nurse)

    response = client.get(WORKLIST)

    assert response.status_code == 200
    assert _section(response, "overdue") == [day["overdue"].pk]
    assert _section(response, "due_today") == [day["today"].pk]
    assert _section(response, "failed_deliveries") == [day["failed"].pk]
    assert _section(response, "call_list") == [day["call"].pk]
    body = response.content.decode()
    # Sections in order of urgency.
    order = ["Overdue", "Due today", "Reminder e-mails that failed", "Self-reports", "Call list"]
    positions = [body.index(title) for title in order]
    assert positions == sorted(positions)


def test_sections_list_the_oldest_first(client, nurse):
    newer, older = _due(-1), _due(-5)
    client.force_login(nurse)

    assert _section(client.get(WORKLIST), "overdue") == [older.pk, newer.pk]


def test_a_long_backlog_shows_its_oldest_rows_and_hides_no_other_section(
    client, nurse, monkeypatch
):
    monkeypatch.setattr("apps.followups.selectors.worklist.SECTION_LIMIT", 2)
    oldest = [_due(-9), _due(-8)]
    _due(-7)
    today = _due(0)
    client.force_login(nurse)

    response = client.get(WORKLIST)

    assert _section(response, "overdue") == [f.pk for f in oldest]
    assert _section(response, "due_today") == [today.pk]
    assert response.context["worklist"].truncated == {"overdue"}
    assert "The oldest 2 are shown" in response.content.decode()


def test_voided_patients_are_left_off(client, nurse):
    follow_up = _due(-1)
    follow_up.patient.voided_at = timezone.now()
    follow_up.patient.save()
    client.force_login(nurse)

    assert _section(client.get(WORKLIST), "overdue") == []


def test_reports_waiting_for_review_are_listed_for_clinical_staff_only(client, nurse, front_desk):
    follow_up = _due(-1)
    report = SelfReport.objects.create(
        follow_up=follow_up,
        patient=follow_up.patient,
        submitted_at=timezone.now(),
        cold_sore=True,
        wound_signs=False,
        fever=False,
        dizziness=False,
        review=SelfReport.Review.WAITING,
    )
    client.force_login(nurse)
    response = client.get(WORKLIST)
    assert [r.patient for r in response.context["worklist"].self_reports_waiting] == [
        follow_up.patient
    ]
    assert "Self-reports waiting for review" in response.content.decode()
    assert reverse("followups:self-report", args=[report.pk]) in response.content.decode()

    client.force_login(front_desk)
    response = client.get(WORKLIST)
    assert response.context["worklist"].self_reports_waiting is None
    assert "Self-reports waiting" not in response.content.decode()


def test_front_desk_sees_phones_but_no_clinical_detail(client, front_desk, clinician, day):
    client.force_login(front_desk)
    body = client.get(WORKLIST).content.decode()
    assert "+1 555 0199" in body
    assert "Knee" not in body
    assert "Record the outcome" not in body

    client.force_login(clinician)
    body = client.get(WORKLIST).content.decode()
    assert "Knee" in body
    record = reverse("outcomes:assessment-record") + f"?follow_up={day['overdue'].pk}"
    assert record in body


def test_the_desk_nurses_and_clinicians_work_the_list_and_the_manager_reads_it(
    client, personas, manager, outsider
):
    for user in [personas["front_desk"], personas["nurse"], personas["clinician"]]:
        client.force_login(user)
        response = client.get(reverse("dashboard"))
        assert WORKLIST in response.content.decode()
        assert client.get(WORKLIST).status_code == 200
    # A manager who put recall calls on the list sees them being made.
    client.force_login(manager)
    assert WORKLIST in client.get(reverse("dashboard")).content.decode()
    assert client.get(WORKLIST).status_code == 200
    client.force_login(outsider)
    assert client.get(WORKLIST).status_code == 403


def test_worklist_query_count_is_the_same_for_few_and_many(
    client, nurse, day, django_assert_num_queries
):
    client.force_login(nurse)
    client.get(WORKLIST)
    # session, user, permissions (2), access-log insert, one per section: overdue, due
    # today, failed e-mails, calls (4, each with patient, site, rule, lot, completer),
    # reports waiting, photos patients sent, groups (header).
    with django_assert_num_queries(12):
        client.get(WORKLIST)
    for days in range(-30, 1):
        _due(days, channel=Channel.CALL if days % 2 else Channel.EMAIL)
    with django_assert_num_queries(12):
        response = client.get(WORKLIST)
    assert len(response.context["worklist"].call_list) > 10


def test_opening_the_worklist_is_in_the_access_log(client, nurse):
    from apps.audit.models import AccessLog

    client.force_login(nurse)
    client.get(WORKLIST)

    assert AccessLog.objects.filter(user=nurse, subject="follow-up-worklist").exists()


# --- inline work ------------------------------------------------------------------


def test_completing_inline_answers_with_the_row_alone(client, front_desk, day):
    client.force_login(front_desk)
    follow_up = day["call"]

    response = client.post(
        reverse("followups:follow-up-complete", args=[follow_up.pk]),
        {"note": "Called: doing well."},
        **HTMX,
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="follow-up-{follow_up.pk}"')
    assert "<html" not in body
    assert "Follow-up completed." in body and "Called: doing well." in body
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED and follow_up.completed_by == front_desk


def test_rescheduling_inline_moves_the_row_and_its_reminder(client, nurse, day):
    client.force_login(nurse)
    follow_up = day["overdue"]
    new_day = timezone.localdate() + 7 * DAY

    response = client.post(
        reverse("followups:follow-up-reschedule", args=[follow_up.pk]),
        {"due_on": new_day.isoformat(), "note": "Asked for next week"},
        **HTMX,
    )

    assert "Follow-up rescheduled." in response.content.decode()
    assert f"{new_day:%Y-%m-%d}" in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.due_on == new_day and follow_up.next_reminder_at == reminder_time(new_day)


def test_a_refused_inline_change_says_why_in_the_row_and_saves_nothing(client, nurse, day):
    client.force_login(nurse)
    follow_up = day["overdue"]

    response = client.post(
        reverse("followups:follow-up-reschedule", args=[follow_up.pk]),
        {"due_on": (timezone.localdate() - DAY).isoformat()},
        **HTMX,
    )

    assert response.status_code == 200
    assert "cannot be moved into the past" in response.content.decode()
    assert FollowUp.objects.get(pk=follow_up.pk).due_on == follow_up.due_on

    response = client.post(
        reverse("followups:follow-up-complete", args=[day["done"].pk]), {"note": "x"}, **HTMX
    )
    assert "already completed" in response.content.decode()


def test_without_htmx_an_action_returns_to_the_page_with_a_message(client, nurse, day):
    client.force_login(nurse)

    response = client.post(
        reverse("followups:follow-up-cancel", args=[day["today"].pk]),
        {"reason": "Patient moved abroad", "next": "/patients/"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/patients/"
    assert "Follow-up cancelled." in response.content.decode()
    assert FollowUp.objects.get(pk=day["today"].pk).status == FollowUp.Status.CANCELLED

    response = client.post(
        reverse("followups:follow-up-cancel", args=[day["later"].pk]),
        {"reason": "", "next": "https://elsewhere.example/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == WORKLIST
    assert "Not saved" in response.content.decode()


def test_actions_need_the_follow_up_permission_and_an_existing_follow_up(
    client, manager, nurse, day
):
    url = reverse("followups:follow-up-complete", args=[day["call"].pk])
    client.force_login(manager)
    with assert_nothing_changed():
        assert client.post(url, {"note": "x"}).status_code == 403
    client.force_login(nurse)
    assert client.get(url).status_code == 405
    missing = reverse("followups:follow-up-complete", args=[999999])
    with assert_nothing_changed():
        assert client.post(missing, {"note": "x"}).status_code == 404
    assert FollowUp.objects.get(pk=day["call"].pk).status == FollowUp.Status.PENDING


# --- the patient page -------------------------------------------------------------


def test_the_patient_page_lists_pending_follow_ups_first(client, nurse):
    patient = PatientFactory()
    done = _due(-3, patient=patient, status=FollowUp.Status.COMPLETED, completion_note="Fine")
    later, sooner = _due(9, patient=patient), _due(2, patient=patient)
    client.force_login(nurse)

    response = client.get(reverse("patients:detail", args=[patient.pk]))

    assert [f.pk for f in response.context["follow_ups"]] == [sooner.pk, later.pk, done.pk]
    assert "Follow-ups" in response.content.decode()


def test_staff_add_a_follow_up_from_the_patient_page(client, front_desk):
    patient = PatientFactory(email_consent=False)
    client.force_login(front_desk)
    url = reverse("followups:follow-up-add") + f"?patient={patient.pk}"
    form = client.get(url)
    assert "site" not in form.context["form"].fields  # no clinical detail for the desk
    due = timezone.localdate() + 14 * DAY

    response = client.post(
        url, {"kind": "check_in", "due_on": due.isoformat(), "channel": "email", "note": "Asked"}
    )

    assert response.status_code == 302
    follow_up = FollowUp.objects.get(patient=patient)
    # No e-mail consent: a staff call instead.
    assert (follow_up.due_on, follow_up.channel, follow_up.note) == (due, "call", "Asked")


def test_adding_a_follow_up_in_the_past_is_refused_on_the_field(client, nurse):
    patient = PatientFactory()
    client.force_login(nurse)

    response = client.post(
        reverse("followups:follow-up-add") + f"?patient={patient.pk}",
        {
            "kind": "check_in",
            "due_on": (timezone.localdate() - DAY).isoformat(),
            "channel": "email",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["due_on"] == [
        "A new follow-up cannot fall due in the past."
    ]
    assert not FollowUp.objects.exists()


def test_adding_needs_a_patient_the_user_may_open(client, nurse, manager):
    client.force_login(nurse)
    assert client.get(reverse("followups:follow-up-add")).status_code == 404
    assert client.get(reverse("followups:follow-up-add") + "?patient=999999").status_code == 404
    client.force_login(manager)
    patient = PatientFactory()
    response = client.get(reverse("followups:follow-up-add") + f"?patient={patient.pk}")
    assert response.status_code == 403


def test_a_scheduled_reminder_shows_when_it_goes_and_no_failure_is_claimed(client, nurse):
    at = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(16, 30)))
    _due(0, reminder_state=FollowUp.ReminderState.SCHEDULED, next_reminder_at=at)
    client.force_login(nurse)
    page = client.get(WORKLIST).content.decode()
    assert f"Scheduled for {timezone.localdate():%Y-%m-%d} 16:30" in page
    # Nothing was sent yet, so nothing can be said to have been delivered.
    assert "No reminder e-mail has failed." in page and "was delivered" not in page
