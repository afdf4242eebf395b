"""The unsubscribe link of reminder e-mails: no login; opening it changes nothing (mail
providers' scanners open every link), its button withdraws consent with history, and
pending e-mail follow-ups move to the call list."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.clinic.models import ClinicProfile
from apps.followups.models import Channel, FollowUp, Kind
from apps.followups.services.scheduling import follow_up_add
from apps.followups.tokens import unsubscribe_token
from apps.patients.models import Patient
from apps.patients.services import patient_update
from tests.builders import assert_nothing_changed, assert_on_call_list
from tests.factories import ClinicProfileFactory, PatientFactory


@pytest.fixture
def clinic(db) -> ClinicProfile:
    return ClinicProfileFactory(name="Harbour Regenerative Clinic")


@pytest.fixture
def patient(clinic) -> Patient:
    return PatientFactory(first_name="Rosalind", last_name="Quartermaine")


def link(patient: Patient) -> str:
    return reverse("patient_links:unsubscribe", kwargs={"token": unsubscribe_token(patient)})


def add(patient: Patient, *, days: int, kind: str = Kind.CHECK_IN) -> FollowUp:
    return follow_up_add(
        by=None,
        patient=patient,
        kind=kind,
        due_on=timezone.localdate() + datetime.timedelta(days=days),
    )


def test_opening_the_link_changes_nothing_and_offers_a_button(client, patient):
    with assert_nothing_changed():
        response = client.get(link(patient))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Stop reminder e-mails" in page and '<form method="post">' in page
    assert "no-store" in response["Cache-Control"]
    patient.refresh_from_db()
    assert patient.email_consent is True


def test_pressing_the_button_withdraws_consent_at_once_and_names_only_the_clinic(client, patient):
    response = client.post(link(patient))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Harbour Regenerative Clinic" in page
    assert "no more reminder e-mails" in page
    assert "Rosalind" not in page and "Quartermaine" not in page
    assert "no-store" in response["Cache-Control"]
    patient.refresh_from_db()
    assert patient.email_consent is False
    assert timezone.now() - patient.email_consent_withdrawn_at < datetime.timedelta(minutes=1)


def test_opening_the_link_again_after_stopping_says_e_mails_are_stopped(client, patient):
    client.post(link(patient))

    response = client.get(link(patient))

    assert "no more reminder e-mails" in response.content.decode()
    assert '<form method="post">' not in response.content.decode()


def test_the_withdrawal_leaves_history_naming_the_link(client, patient):
    client.post(link(patient))

    event = Patient.pgh_event_model.objects.filter(pgh_obj_id=patient.pk).latest("pgh_id")
    assert event.email_consent is False
    assert event.pgh_context.metadata["process"] == "unsubscribe link"
    assert event.pgh_context.metadata["user"] is None


def test_pending_e_mail_follow_ups_move_to_the_call_list_and_others_stay(client, patient):
    pending = add(patient, days=3)
    later = add(patient, days=40, kind=Kind.OUTCOME)
    done = add(patient, days=1)
    FollowUp.objects.filter(pk=done.pk).update(status=FollowUp.Status.COMPLETED)
    someone_else = add(PatientFactory(), days=3)

    client.post(link(patient))

    for follow_up in (pending, later):
        assert_on_call_list(follow_up)
    done.refresh_from_db()
    assert (done.status, done.channel) == (FollowUp.Status.COMPLETED, Channel.EMAIL)
    someone_else.refresh_from_db()
    assert someone_else.channel == Channel.EMAIL and someone_else.next_reminder_at is not None


def test_one_click_post_from_a_mail_program_needs_no_csrf_token(patient):
    mail_program = Client(enforce_csrf_checks=True)

    response = mail_program.post(link(patient), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.email_consent is False


def test_a_second_press_changes_nothing(client, patient):
    client.post(link(patient))
    patient.refresh_from_db()
    first_withdrawal = patient.email_consent_withdrawn_at

    assert client.post(link(patient)).status_code == 200

    patient.refresh_from_db()
    assert patient.email_consent_withdrawn_at == first_withdrawal


def test_a_tampered_link_gets_a_friendly_page_and_changes_nothing(client, patient):
    token = unsubscribe_token(patient)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    response = client.post(
        reverse("patient_links:unsubscribe", kwargs={"token": tampered}),
    )

    assert response.status_code == 400
    assert "This link is not recognised" in response.content.decode()
    patient.refresh_from_db()
    assert patient.email_consent is True


def test_a_link_for_a_patient_who_is_not_there_is_not_found(client, clinic):
    response = client.get(link(Patient(pk=987654)))

    assert response.status_code == 404
    assert "This link is not recognised" in response.content.decode()


def test_other_methods_are_refused(client, patient):
    with assert_nothing_changed():
        assert client.put(link(patient)).status_code == 405
    patient.refresh_from_db()
    assert patient.email_consent is True


def test_a_link_sent_before_consent_was_given_again_no_longer_works(client, patient, manager):
    old_link = link(patient)
    client.post(old_link)
    # The patient asks the desk to send reminders again: staff record consent anew.
    patient_update(by=manager, patient=Patient.objects.get(pk=patient.pk), email_consent=True)

    for method in (client.get, client.post):
        response = method(old_link)
        assert response.status_code == 410
        assert "This link no longer works" in response.content.decode()
    patient.refresh_from_db()
    assert patient.email_consent is True
    # A reminder sent under the new consent carries a link that works.
    assert client.post(link(patient)).status_code == 200


def test_a_link_older_than_its_lifetime_no_longer_works(client, patient, settings):
    settings.FOLLOWUP_UNSUBSCRIBE_LINK_DAYS = 30
    with time_machine.travel(timezone.now() - datetime.timedelta(days=31)):
        old_link = link(patient)

    response = client.post(old_link)

    assert response.status_code == 410
    patient.refresh_from_db()
    assert patient.email_consent is True
