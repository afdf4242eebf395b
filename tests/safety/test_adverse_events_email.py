"""The serious-event e-mail to the clinic's safety contact: sent after commit, exactly once,
never marked sent when the SMTP server failed, without the patient's name."""

import logging
import socket

import pytest
from django.core import mail

from apps.safety.models import AdverseEvent
from apps.safety.services.adverse_events import (
    adverse_event_update,
    serious_event_notify,
    serious_events_notify_pending,
)
from tests.factories import ClinicProfileFactory
from tests.safety import adverse_event_data
from tests.safety.adverse_event_data import SAFETY_CONTACT, SERIOUS, record_event

event_types = adverse_event_data.event_types
treated_visit = adverse_event_data.treated_visit
safety_contact = adverse_event_data.safety_contact
eager_tasks = adverse_event_data.eager_tasks


def _serious(by, visit, types) -> AdverseEvent:
    return record_event(by=by, visit=visit, event_type=types["injection_site_infection"], **SERIOUS)


def test_a_serious_event_emails_the_safety_contact_once_after_commit(
    clinician,
    treated_visit,
    event_types,
    safety_contact,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = _serious(clinician, treated_visit, event_types)
        assert mail.outbox == []  # nothing leaves before the transaction commits

    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [SAFETY_CONTACT]
    assert treated_visit.patient.mrn in message.subject
    html = message.alternatives[0][0]
    for part in (message.subject, message.body, html):
        assert treated_visit.patient.last_name not in part
        assert treated_visit.patient.first_name not in part
    assert f"/safety/adverse-events/{event.pk}/" in message.body
    assert "Hospitalisation (initial or prolonged)" in message.body
    event.refresh_from_db()
    assert event.safety_contact_notified_at is not None

    # An edit of an event already told about sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        adverse_event_update(by=clinician, event=event, action_taken="IV antibiotics")
    assert serious_event_notify(event_id=event.pk) is False
    assert len(mail.outbox) == 1


def test_a_non_serious_event_sends_nothing_until_it_becomes_serious(
    clinician,
    treated_visit,
    event_types,
    safety_contact,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = record_event(by=clinician, visit=treated_visit, event_type=event_types["cold_sore"])
    assert callbacks == [] and mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        adverse_event_update(by=clinician, event=event, **SERIOUS)

    assert len(mail.outbox) == 1


def test_no_safety_contact_logs_a_warning_and_marks_nothing(
    clinician, treated_visit, event_types, caplog
):
    event = _serious(clinician, treated_visit, event_types)

    with caplog.at_level(logging.WARNING, logger="apps.safety.services.adverse_events"):
        assert serious_event_notify(event_id=event.pk) is False

    assert "no safety contact" in caplog.text
    assert mail.outbox == []
    event.refresh_from_db()
    assert event.safety_contact_notified_at is None


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_smtp_failure_leaves_the_event_untold_and_a_retry_sends_it(
    clinician, treated_visit, event_types, safety_contact, settings
):
    event = _serious(clinician, treated_visit, event_types)
    # A real SMTP backend pointed at a port nobody listens on.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        _closed_port(),
        2,
    )
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False

    with pytest.raises(OSError):
        serious_event_notify(event_id=event.pk)

    event.refresh_from_db()
    assert event.safety_contact_notified_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert serious_event_notify(event_id=event.pk) is True
    assert len(mail.outbox) == 1


def test_the_periodic_sweep_tells_about_events_left_untold(clinician, treated_visit, event_types):
    first = _serious(clinician, treated_visit, event_types)
    second = _serious(clinician, treated_visit, event_types)
    voided = _serious(clinician, treated_visit, event_types)
    AdverseEvent.objects.filter(pk=voided.pk).update(voided_at=first.created_at)
    assert serious_events_notify_pending() == 0  # no contact yet: nothing to do

    ClinicProfileFactory(name="Lakeside Clinic", safety_contact_email=SAFETY_CONTACT)
    assert serious_events_notify_pending() == 2
    assert serious_events_notify_pending() == 0
    assert len(mail.outbox) == 2
    told = AdverseEvent.objects.filter(safety_contact_notified_at__isnull=False)
    assert set(told.values_list("pk", flat=True)) == {first.pk, second.pk}
