"""The daily recomputation: lot signals stored, the safety contact told once per
episode, only after the mail server accepted the message."""

import datetime
import smtplib

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.clinic.models import ClinicProfile
from apps.safety.models import AdverseEvent, LotSignal
from apps.safety.services.safety_signals import safety_signals_refresh
from apps.safety.tasks import safety_signals_daily
from apps.treatments.models import Visit
from config.celery import app as celery_app
from tests.factories import ClinicProfileFactory, LotFactory
from tests.mail_backends import REFUSING_BACKEND
from tests.safety.signal_data import give_doses, infection, record_event

pytestmark = pytest.mark.django_db

CONTACT = "safety@clinic.test"


@pytest.fixture
def clinic(db):
    return ClinicProfileFactory(safety_contact_email=CONTACT)


@pytest.fixture
def infection_type(db):
    return infection()


def hot_lot(infection_type, *, lot_number="HOT-1"):
    """Four infections in 300 treatments: signals. Returns the lot and its events."""
    lot = LotFactory(lot_number=lot_number)
    events = [record_event(infection_type, [d]) for d in give_doses(lot, visits=300)[:4]]
    return lot, events


FIRST_RUN = datetime.datetime(2026, 11, 2, 11, 0, tzinfo=datetime.UTC)


def day(n: int) -> datetime.datetime:
    """The daily run n days after the first."""
    return FIRST_RUN + datetime.timedelta(days=n)


class TestNotifying:
    def test_a_newly_signalling_lot_is_told_once(self, clinic, infection_type):
        lot, _ = hot_lot(infection_type)
        give_doses(LotFactory(lot_number="QUIET-1"), visits=50)

        told = safety_signals_refresh(now=day(0))

        assert [(t.lot, t.event_type) for t in told] == [(lot, infection_type)]
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [CONTACT]
        assert "1 lot above the expected rate" in message.subject
        assert f"lot {lot.lot_number}: Infection at the injection site, 4 in 300" in message.body
        assert "QUIET-1" not in message.body
        assert "/safety/signals/" in message.body
        html = message.alternatives[0][0]
        assert lot.lot_number in html and "1.8 \u00d7 10^-5" in html
        stored = LotSignal.objects.get(lot=lot)
        assert stored.signalling and stored.notified_at == stored.signalling_since == day(0)
        assert (stored.exposures, stored.events) == (300, 4)
        assert not LotSignal.objects.get(lot__lot_number="QUIET-1").signalling

        assert safety_signals_refresh(now=day(1)) == []
        assert len(mail.outbox) == 1
        assert LotSignal.objects.get(lot=lot).signalling_since == day(0)

    def test_several_lots_go_in_one_message(self, clinic, infection_type):
        hot_lot(infection_type, lot_number="HOT-1")
        hot_lot(infection_type, lot_number="HOT-2")

        assert len(safety_signals_refresh(now=day(0))) == 2
        assert len(mail.outbox) == 1
        assert "HOT-1" in mail.outbox[0].body and "HOT-2" in mail.outbox[0].body

    def test_a_lot_that_clears_and_signals_again_is_told_again(self, clinic, infection_type):
        lot, events = hot_lot(infection_type)
        safety_signals_refresh(now=day(0))

        # Two events were entered by mistake: the lot no longer signals.
        AdverseEvent.objects.filter(pk__in=[e.pk for e in events[:2]]).update(
            voided_at=day(1), void_reason="Entered twice"
        )
        assert safety_signals_refresh(now=day(1)) == []
        cleared = LotSignal.objects.get(lot=lot)
        assert not cleared.signalling
        assert cleared.signalling_since is None and cleared.notified_at is None
        assert (cleared.exposures, cleared.events) == (300, 2)

        # Two new infections: a new episode, told again.
        visit_doses = give_doses(lot, visits=2)
        for dose in visit_doses:
            record_event(infection_type, [dose])
        told = safety_signals_refresh(now=day(2))

        assert [t.lot for t in told] == [lot]
        assert len(mail.outbox) == 2
        assert LotSignal.objects.get(lot=lot).signalling_since == day(2)

    def test_nothing_is_sent_when_no_lot_signals(self, clinic, infection_type):
        give_doses(LotFactory(), visits=30)

        assert safety_signals_refresh(now=day(0)) == []
        assert mail.outbox == []
        assert LotSignal.objects.count() == 1

    def test_a_lot_whose_doses_were_all_voided_clears(self, clinic, infection_type):
        lot, _ = hot_lot(infection_type)
        safety_signals_refresh(now=day(0))
        Visit.objects.filter(doses__lot=lot).update(voided_at=day(1), void_reason="Test data")

        safety_signals_refresh(now=day(1))

        stored = LotSignal.objects.get(lot=lot)
        assert not stored.signalling
        assert (stored.exposures, stored.events, stored.p_value) == (0, 0, None)


class TestWhenTheMessageCannotGo:
    def test_a_mail_server_down_leaves_the_lot_untold_for_the_retry(
        self, clinic, infection_type, settings
    ):
        lot, _ = hot_lot(infection_type)
        settings.EMAIL_BACKEND = REFUSING_BACKEND

        with pytest.raises(smtplib.SMTPServerDisconnected):
            safety_signals_refresh(now=day(0))

        stored = LotSignal.objects.get(lot=lot)
        assert stored.signalling and stored.notified_at is None

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        told = safety_signals_refresh(now=day(0) + datetime.timedelta(minutes=5))
        assert [t.lot for t in told] == [lot]
        assert len(mail.outbox) == 1
        stored.refresh_from_db()
        # The episode began when the signal was first seen, not when it was told.
        assert stored.signalling_since == day(0)
        assert stored.notified_at == day(0) + datetime.timedelta(minutes=5)

    def test_no_safety_contact_leaves_the_lot_untold_until_one_is_set(self, clinic, infection_type):
        ClinicProfile.objects.filter(pk=1).update(safety_contact_email="")
        lot, _ = hot_lot(infection_type)

        assert [t.lot for t in safety_signals_refresh(now=day(0))] == [lot]
        assert mail.outbox == []
        assert LotSignal.objects.get(lot=lot).notified_at is None

        ClinicProfile.objects.filter(pk=1).update(safety_contact_email=CONTACT)
        safety_signals_refresh(now=day(1))
        assert len(mail.outbox) == 1


class TestDailyTask:
    def test_the_task_runs_the_refresh(self, clinic, infection_type):
        hot_lot(infection_type)

        safety_signals_daily.apply()
        safety_signals_daily.apply()

        assert len(mail.outbox) == 1

    def test_beat_sends_it_daily_at_the_set_hour_of_the_clinic(self):
        entry = settings.CELERY_BEAT_SCHEDULE["safety-signals-daily"]
        assert entry["task"] == safety_signals_daily.name
        schedule = entry["schedule"]
        schedule.app = celery_app
        clinic_zone = timezone.get_default_timezone()
        # Just after yesterday's run, the next one is due at the hour, clinic time.
        last_run = datetime.datetime(2026, 7, 1, settings.SAFETY_SIGNALS_HOUR, 0, 5)
        last_run = last_run.replace(tzinfo=clinic_zone)
        start, until_next, _ = schedule.remaining_delta(last_run, tz=schedule.tz)
        due = start + until_next
        assert due.astimezone(clinic_zone).replace(tzinfo=None) == datetime.datetime(
            2026, 7, 2, settings.SAFETY_SIGNALS_HOUR, 0
        )


def test_the_refresh_queries_do_not_grow_with_lots(clinic, infection_type):
    hot_lot(infection_type, lot_number="HOT-1")
    with CaptureQueriesContext(connection) as few:
        safety_signals_refresh(now=day(0))
    for _ in range(30):
        give_doses(LotFactory(), visits=2)
    hot_lot(infection_type, lot_number="HOT-2")
    with CaptureQueriesContext(connection) as many:
        safety_signals_refresh(now=day(1))
    # Each run told about one new lot, with the same statements whatever the lot count.
    assert len(mail.outbox) == 2
    assert len(many.captured_queries) == len(few.captured_queries)
