"""The clinicians' daily digest: what it tells, to whom, once a day, never when empty."""

import datetime
import smtplib

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from apps.followups.digest import staff_digest_content, staff_digest_send
from apps.followups.models import FollowUp, StaffDigest
from apps.followups.tasks import staff_digest_daily
from apps.safety.models import LotSignal, MedicationFlag, Seriousness
from tests.factories import (
    AdverseEventFactory,
    ClinicProfileFactory,
    FollowUpFactory,
    LotFactory,
    MedicationFlagFactory,
    UserFactory,
)
from tests.mail_backends import REFUSING_BACKEND
from tests.safety.signal_data import infection

pytestmark = pytest.mark.django_db

# Factories date visits from the real clock, so the digest runs on the real day too.
# Noon of the clinic's day: "three hours later" is still the same clinic day whenever
# the suite runs (at 22:00 in the clinic's zone it was the next day).
NOW = datetime.datetime.combine(
    timezone.localdate(), datetime.time(12), tzinfo=timezone.get_current_timezone()
)
TODAY = timezone.localdate(NOW)
REFUSED = "refused@clinic.test"


class RefusingOneBackend(BaseEmailBackend):
    """A mail server that refuses one recipient and keeps the rest in the outbox."""

    def send_messages(self, email_messages):
        for message in email_messages:
            if REFUSED in message.to:
                raise smtplib.SMTPRecipientsRefused({REFUSED: (550, b"Mailbox unavailable")})
            mail.outbox.append(message)
        return len(email_messages)


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def clinic(db):
    return ClinicProfileFactory()


@pytest.fixture
def clinicians(clinician):
    """Two clinicians who get the digest."""
    return [clinician, UserFactory(username="drbell", role="clinician")]


@pytest.fixture
def not_for_digest(db):
    """A nurse, a clinician who left and one without an address: no digest."""
    return [
        UserFactory(role="nurse"),
        UserFactory(role="clinician", is_active=False),
        UserFactory(role="clinician", email=""),
    ]


@pytest.fixture
def overdue_flag(db):
    return MedicationFlagFactory(
        review_by=days(-2),
        medication__patient__first_name="Philippa",
        medication__patient__last_name="Quenby",
    )


@pytest.fixture
def busy_day(db, overdue_flag):
    """One of each thing a digest tells, beside things it must leave out."""
    acknowledged = MedicationFlagFactory(review_by=days(5), status="acknowledged")
    MedicationFlagFactory(review_by=days(-5), status="resolved", action="unchanged")
    late = FollowUpFactory(
        due_on=days(-3), visit__patient__first_name="Ferdinand", visit__patient__last_name="Ulloa"
    )
    FollowUpFactory(due_on=TODAY)
    FollowUpFactory(due_on=days(-9), status=FollowUp.Status.COMPLETED)
    serious = AdverseEventFactory(
        seriousness=[Seriousness.HOSPITALISATION],
        grade=3,
        visit__patient__first_name="Evangeline",
        visit__patient__last_name="Ashcombe",
    )
    AdverseEventFactory(seriousness=[Seriousness.HOSPITALISATION], resolution_date=TODAY)
    AdverseEventFactory(seriousness=[])
    AdverseEventFactory(seriousness=[Seriousness.DEATH], voided_at=NOW)
    lot = LotFactory(lot_number="HOT-1")
    LotSignal.objects.create(
        lot=lot,
        event_type=infection(),
        signalling=True,
        signalling_since=NOW,
        computed_at=NOW,
        exposures=300,
        events=4,
        p_value=1.8370913633211287e-05,
    )
    LotSignal.objects.create(
        lot=LotFactory(lot_number="QUIET-1"),
        event_type=infection(),
        computed_at=NOW,
        exposures=30,
        events=0,
        p_value=1.0,
    )
    return {
        "flag": overdue_flag,
        "acknowledged": acknowledged,
        "follow_up": late,
        "event": serious,
        "lot": lot,
    }


class TestContent:
    def test_counts_and_rows_of_what_waits(self, busy_day):
        digest = staff_digest_content(today=TODAY)

        assert (digest.open_flags, digest.overdue_flags) == (1, 1)
        assert [f["mrn"] for f in digest.flags] == [busy_day["flag"].patient.mrn]
        assert digest.flags[0]["overdue"]
        assert digest.overdue_follow_ups == 1
        assert digest.follow_ups[0]["mrn"] == busy_day["follow_up"].patient.mrn
        assert digest.follow_ups[0]["days_late"] == 3
        assert digest.serious_events == 1
        assert digest.events[0]["mrn"] == busy_day["event"].patient.mrn
        assert [line["lot"] for line in digest.lot_signals] == [busy_day["lot"]]
        assert digest.summary == [
            "1 open flag (1 overdue)",
            "1 overdue follow-up",
            "1 unresolved serious event",
            "1 signalling lot",
        ]

    def test_an_acknowledged_flag_past_its_review_date_still_shows(self, db):
        late = MedicationFlagFactory(review_by=days(-1), status="acknowledged")

        digest = staff_digest_content(today=TODAY)

        assert (digest.open_flags, digest.overdue_flags) == (0, 1)
        assert [f["mrn"] for f in digest.flags] == [late.patient.mrn]
        assert not digest.empty

    def test_queries_do_not_grow_with_rows(self, busy_day, django_assert_num_queries):
        # flag counts, flag rows, follow-up count and rows, serious-event count and rows,
        # signalling lots.
        with django_assert_num_queries(7):
            staff_digest_content(today=TODAY)
        for _ in range(15):
            MedicationFlagFactory(review_by=days(-1))
            FollowUpFactory(due_on=days(-1))
            AdverseEventFactory(seriousness=[Seriousness.OTHER_SERIOUS])
        with django_assert_num_queries(7):
            digest = staff_digest_content(today=TODAY)
        assert len(digest.flags) == len(digest.follow_ups) == len(digest.events) == 10
        assert digest.overdue_follow_ups == 16


class TestSending:
    def test_each_clinician_gets_one_message_without_patient_names(
        self, clinic, clinicians, not_for_digest, busy_day
    ):
        sent = staff_digest_send(now=NOW)

        # The visits of the example records were recorded by clinicians of their own.
        assert set(clinicians) <= set(sent)
        assert not set(not_for_digest) & set(sent)
        assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in sent)
        message = mail.outbox[0]
        html = message.alternatives[0][0]
        assert message.subject == (
            "Harbour Clinic today: 1 open flag (1 overdue); 1 overdue follow-up; "
            "1 unresolved serious event; 1 signalling lot"
        )
        for key in ("flag", "follow_up", "event"):
            patient = busy_day[key].patient
            assert patient.mrn in message.body and patient.mrn in html
            for name in (patient.first_name, patient.last_name):
                assert name not in message.body and name not in html
                assert name not in message.subject
        assert busy_day["acknowledged"].patient.mrn not in message.body
        assert "HOT-1" in message.body and "QUIET-1" not in message.body
        assert "4 in 300" in message.body
        assert f"{settings.SITE_URL}/patients/{busy_day['flag'].patient_id}/" in message.body
        assert f"{settings.SITE_URL}/safety/signals/" in html
        assert set(StaffDigest.objects.values_list("user", "digest_on")) == {
            (u.pk, TODAY) for u in sent
        }

    def test_nothing_is_sent_on_an_empty_day(self, clinic, clinicians):
        # Resolved flags, follow-ups due later, resolved events: nothing waits.
        MedicationFlagFactory(status=MedicationFlag.Status.RESOLVED, action="unchanged")
        FollowUpFactory(due_on=days(1))
        AdverseEventFactory(seriousness=[Seriousness.HOSPITALISATION], resolution_date=TODAY)

        assert staff_digest_send(now=NOW) == []
        assert mail.outbox == []
        assert not StaffDigest.objects.exists()

    def test_once_per_clinic_day(self, clinic, clinicians, overdue_flag):
        staff_digest_send(now=NOW)
        assert staff_digest_send(now=NOW + datetime.timedelta(hours=3)) == []
        assert len(mail.outbox) == 2

        assert len(staff_digest_send(now=NOW + datetime.timedelta(days=1))) == 2
        assert len(mail.outbox) == 4

    def test_a_failed_send_is_not_remembered_so_the_retry_sends_it(
        self, clinic, clinicians, overdue_flag, settings
    ):
        settings.EMAIL_BACKEND = REFUSING_BACKEND
        with pytest.raises(smtplib.SMTPServerDisconnected):
            staff_digest_send(now=NOW)
        assert not StaffDigest.objects.exists()

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert len(staff_digest_send(now=NOW + datetime.timedelta(minutes=2))) == 2

    def test_one_refused_address_does_not_hold_back_the_others(
        self, clinic, clinicians, overdue_flag, settings
    ):
        refused = UserFactory(role="clinician", email=REFUSED)
        settings.EMAIL_BACKEND = f"{__name__}.RefusingOneBackend"

        with pytest.raises(smtplib.SMTPRecipientsRefused):
            staff_digest_send(now=NOW)

        assert len(mail.outbox) == 2
        assert not StaffDigest.objects.filter(user=refused).exists()
        refused.email = "dr.new@clinic.test"
        refused.save()
        assert staff_digest_send(now=NOW) == [refused]
        assert len(mail.outbox) == 3

    def test_the_clinic_day_is_in_the_clinic_zone(self, clinic, clinicians, overdue_flag):
        # 03:30 UTC is still the evening before in New York.
        late_evening = datetime.datetime(2026, 11, 3, 3, 30, tzinfo=datetime.UTC)
        staff_digest_send(now=late_evening)
        assert set(StaffDigest.objects.values_list("digest_on", flat=True)) == {
            datetime.date(2026, 11, 2)
        }


class TestDailyTask:
    def test_the_task_sends_once_however_often_it_runs(self, clinic, clinicians):
        MedicationFlagFactory(review_by=timezone.localdate() - datetime.timedelta(days=1))

        staff_digest_daily.apply()
        staff_digest_daily.apply()

        assert len(mail.outbox) == 2

    def test_beat_sends_it_daily(self):
        entry = settings.CELERY_BEAT_SCHEDULE["staff-digest-daily"]
        assert entry["task"] == staff_digest_daily.name
        assert entry["schedule"].hour == {settings.STAFF_DIGEST_HOUR}
        assert entry["schedule"].minute == {0}
