"""The serious-event e-mail through the real path: a committed record enqueues the task on
Redis, a real worker claims the event and hands the message to a real SMTP server
(aiosmtpd). It arrives exactly once, and never for a record that was rolled back."""

import socket
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from apps.safety.models import AdverseEvent
from apps.safety.tasks import serious_event_email
from tests.safety import adverse_event_data
from tests.safety.adverse_event_data import SAFETY_CONTACT, SERIOUS, record_event

pytestmark = pytest.mark.integration

event_types = adverse_event_data.event_types
treated_visit = adverse_event_data.treated_visit
safety_contact = adverse_event_data.safety_contact


class Inbox:
    """aiosmtpd handler keeping every message the server accepted."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def worker(celery_worker_factory, smtp_server):
    _, port = smtp_server
    return celery_worker_factory(extra_env={"EMAIL_URL": f"smtp://127.0.0.1:{port}"})


def test_a_committed_serious_event_arrives_once(
    worker, smtp_server, clinician, treated_visit, event_types, safety_contact
):
    inbox, _ = smtp_server

    with transaction.atomic():
        event = record_event(
            by=clinician,
            visit=treated_visit,
            event_type=event_types["injection_site_infection"],
            **SERIOUS,
        )
        worker.wait_until_drained()
        assert inbox.messages == [], "sent before the record was committed"

    worker.wait_for(lambda: inbox.messages, timeout=30, what="the serious-event e-mail")
    # The same task delivered again (a redelivery after a lost worker) sends nothing more.
    serious_event_email.delay(event.pk)
    worker.wait_until_drained()

    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == [SAFETY_CONTACT]
    assert treated_visit.patient.mrn in message["Subject"]
    assert treated_visit.patient.last_name not in message.as_string()
    event.refresh_from_db()
    assert event.safety_contact_notified_at is not None


def test_a_rolled_back_record_sends_nothing(
    worker, smtp_server, clinician, treated_visit, event_types, safety_contact
):
    inbox, _ = smtp_server

    class ChangedMind(Exception):
        pass

    with pytest.raises(ChangedMind), transaction.atomic():
        record_event(
            by=clinician,
            visit=treated_visit,
            event_type=event_types["injection_site_infection"],
            **SERIOUS,
        )
        raise ChangedMind

    worker.wait_until_drained()
    assert inbox.messages == []
    assert not AdverseEvent.objects.exists()
    assert "serious_event_email[" not in worker.log(), "the task was sent"
