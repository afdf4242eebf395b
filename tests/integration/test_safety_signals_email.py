"""The daily safety-signals task through real processes: a Redis broker, two Celery
worker processes and an SMTP server (aiosmtpd, in this test process). Sent twice, as a
redelivery or a second beat would, the safety contact's e-mail arrives once."""

import re

import pytest

from apps.safety.models import LotSignal
from apps.safety.tasks import safety_signals_daily
from tests.factories import ClinicProfileFactory, LotFactory
from tests.integration.smtp_server import smtp_server
from tests.safety.signal_data import give_doses, infection, record_event

pytestmark = pytest.mark.integration

CONTACT = "safety@clinic.test"


@pytest.fixture
def mail_server():
    with smtp_server() as server:
        yield server


def finished_runs(worker) -> int:
    return len(re.findall(r"safety_signals_daily\[[^\]]+\] succeeded", worker.log()))


def test_the_safety_contact_is_told_once_when_the_task_is_sent_twice(
    celery_worker_factory, mail_server
):
    inbox, port = mail_server
    ClinicProfileFactory(safety_contact_email=CONTACT)
    infection_type = infection()
    lot = LotFactory(lot_number="HOT-1")
    for dose in give_doses(lot, visits=300)[:4]:
        record_event(infection_type, [dose])
    env = {"EMAIL_URL": f"smtp://127.0.0.1:{port}"}
    # Two workers, so the two deliveries can run at the same moment.
    workers = [celery_worker_factory(extra_env=env), celery_worker_factory(extra_env=env)]

    safety_signals_daily.delay()
    safety_signals_daily.delay()

    workers[0].wait_for(
        lambda: sum(finished_runs(w) for w in workers) == 2,
        timeout=60,
        what="both deliveries of the task to finish",
    )
    assert inbox.per_recipient() == {CONTACT: 1}
    arrival = inbox.arrivals[0]
    assert "1 lot above the expected rate" in arrival.subject
    assert "HOT-1" in arrival.message.get_body(("plain",)).get_content()
    stored = LotSignal.objects.get(lot=lot)
    assert stored.signalling and stored.notified_at is not None
