"""Reminder e-mails through a real SMTP server of the test's own (aiosmtpd): what they
say, who gets them, how refusals are retried or failed, further reminders, one
connection per batch, and claims that keep two senders apart."""

import datetime
import re
import threading
from urllib.parse import urlsplit

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.clinic.models import ClinicProfile
from apps.followups.models import Channel, FollowUp, Kind, ReminderDelivery
from apps.followups.services import reminders
from apps.followups.services.scheduling import follow_up_add, reminder_time
from apps.followups.tasks import reminders_send_due as reminders_task
from apps.followups.tokens import self_report_follow_up_id
from apps.patients.models import Patient
from tests.builders import assert_on_call_list
from tests.factories import (
    ClinicProfileFactory,
    DoseFactory,
    FollowUpRuleFactory,
    LotFactory,
    PatientFactory,
)
from tests.integration.smtp_server import smtp_server

ALL_KINDS = (Kind.CHECK_IN, Kind.OUTCOME, Kind.REPEAT_SESSION, Kind.RECALL_CONTACT)


@pytest.fixture
def clinic(db) -> ClinicProfile:
    return ClinicProfileFactory(
        name="Harbour Regenerative Clinic",
        contact_phone="+1 555 0199",
        booking_url="https://book.harbour.example/",
        booking_instructions="Or drop by the front desk, Monday to Friday.",
    )


@pytest.fixture
def mail_server(settings, clinic):
    """A real SMTP server; the reminder sender talks to it through Django's SMTP backend."""
    with smtp_server() as (handler, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        yield handler


def due_follow_up(*, patient=None, kind=Kind.REPEAT_SESSION, rule=None, visit=None) -> FollowUp:
    """A follow-up scheduled by the service, whose reminder time has just passed."""
    patient = patient or (visit.patient if visit else PatientFactory())
    follow_up = follow_up_add(
        by=None,
        patient=patient,
        kind=kind,
        due_on=timezone.localdate(),
        rule=rule,
        visit=visit,
        # A recall contact names the recalled lot.
        lot=LotFactory() if kind == Kind.RECALL_CONTACT else None,
    )
    return make_due(follow_up)


def make_due(follow_up: FollowUp) -> FollowUp:
    FollowUp.objects.filter(pk=follow_up.pk).update(
        next_reminder_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    follow_up.refresh_from_db()
    return follow_up


def text_and_html(arrival) -> tuple[str, str]:
    parts = {
        p.get_content_type(): p.get_content()
        for p in arrival.message.walk()
        if not p.is_multipart()
    }
    return parts["text/plain"], parts["text/html"]


def list_unsubscribe(arrival) -> str:
    # A long header is folded onto a second line: its value starts with whitespace.
    return re.fullmatch(r"<(.+)>", str(arrival.message["List-Unsubscribe"]).strip())[1]


def test_beat_sends_the_reminder_tick_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["reminders-send-due"]
    assert entry["task"] == reminders_task.name
    assert entry["schedule"] == 60.0
    assert entry["options"]["expires"] < 60


# --- What the e-mail says ----------------------------------------------------------

# Words that would tell a reader of the e-mail about the treatment or the condition.
CLINICAL_WORDS = [
    "knee",
    "osteoarthritis",
    "exosome",
    "stem",
    "dose",
    "billion",
    "particles",
    "lot",
    "recall",
    "inject",
    "injection",
    "intra",
    "diagnosis",
    "kimera",
    "xoglo",
]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_reminder_names_the_clinic_the_due_day_booking_and_unsubscribe_and_nothing_clinical(
    mail_server, kind
):
    dose = DoseFactory()  # a knee, an XoGlo product, a lot, "Knee osteoarthritis"
    patient = dose.visit.patient
    due_follow_up(kind=kind, visit=dose.visit)

    reminders.reminders_send_due()

    (arrival,) = mail_server.arrivals
    assert arrival.to == patient.email
    text, html = text_and_html(arrival)
    for part in (arrival.subject, text, html):
        assert "Harbour Regenerative Clinic" in part
    for part in (text, html):
        assert "https://book.harbour.example/" in part
        assert "+1 555 0199" in part
        assert "front desk" in part
        assert "http://127.0.0.1:8000/p/unsubscribe/" in part
    if kind != Kind.RECALL_CONTACT:
        assert timezone.localdate().strftime("%B") in text
    body = " ".join((arrival.subject, text, html)).lower()
    assert [w for w in CLINICAL_WORDS if re.search(rf"\b{w}", body)] == []
    assert dose.lot.lot_number.lower() not in body
    assert dose.lot.product.name.lower() not in body
    assert dose.site.name.lower() not in body
    # Mail programs offer one-click unsubscribe (RFC 8058).
    assert list_unsubscribe(arrival).startswith("http://127.0.0.1:8000/p/unsubscribe/")
    assert arrival.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_only_check_ins_and_outcomes_carry_a_self_report_link(mail_server, kind):
    follow_up = due_follow_up(kind=kind)

    reminders.reminders_send_due()

    text, html = text_and_html(mail_server.arrivals[0])
    links = re.findall(r"http://127\.0\.0\.1:8000/p/report/([^/\s\"]+)/", text + html)
    if kind in (Kind.CHECK_IN, Kind.OUTCOME):
        assert links, "no self-report link"
        assert {self_report_follow_up_id(token) for token in links} == {follow_up.pk}
    else:
        assert links == []


def test_the_rule_names_the_e_mail(mail_server):
    rule = FollowUpRuleFactory(code="outcome_6_weeks", kind=Kind.OUTCOME, template="outcome")
    follow_up = due_follow_up(kind=Kind.OUTCOME, rule=rule)
    assert reminders.reminder_template(follow_up) == "followups/email/outcome"
    bare = due_follow_up(kind=Kind.CHECK_IN)
    assert reminders.reminder_template(bare) == "followups/email/check_in"


# --- Sending, logging, and only once -----------------------------------------------


def test_each_due_reminder_is_sent_once_and_logged_with_the_server_reply(mail_server, settings):
    settings.FOLLOWUP_REMINDER_FURTHER_DAYS = 7
    follow_ups = [due_follow_up() for _ in range(3)]
    not_yet = follow_up_add(
        by=None,
        patient=PatientFactory(),
        kind=Kind.REPEAT_SESSION,
        due_on=timezone.localdate() + datetime.timedelta(days=2),
    )

    tick = reminders.reminders_send_due()

    assert (tick.sent, tick.retrying, tick.failed) == (3, 0, 0)
    assert mail_server.per_recipient() == {f.patient.email: 1 for f in follow_ups}
    arrivals = {a.to: a for a in mail_server.arrivals}
    further_at = reminder_time(timezone.localdate() + datetime.timedelta(days=7))
    for follow_up in follow_ups:
        follow_up.refresh_from_db()
        assert follow_up.reminder_state == FollowUp.ReminderState.SENT
        assert follow_up.reminders_sent == 1
        assert follow_up.claimed_until is None
        assert follow_up.next_reminder_at == further_at
        (delivery,) = follow_up.deliveries.all()
        assert delivery.status == ReminderDelivery.Status.SENT
        assert delivery.smtp_code == 250
        assert delivery.smtp_reply.startswith("2.0.0 Ok: queued as T")
        assert delivery.message_id == arrivals[follow_up.patient.email].message_id
        assert delivery.to_address == follow_up.patient.email
        assert delivery.reminder_number == 1
    not_yet.refresh_from_db()
    assert not_yet.reminders_sent == 0 and not not_yet.deliveries.exists()

    # The next tick finds nothing due.
    assert reminders.reminders_send_due().sent == 0
    assert mail_server.count() == 3


def test_a_batch_goes_over_one_connection(mail_server, settings):
    settings.FOLLOWUP_REMINDER_BATCH_SIZE = 3
    for _ in range(7):
        due_follow_up()

    tick = reminders.reminders_send_due()

    assert tick.sent == 7
    assert tick.batches == 3  # 3 + 3 + 1
    assert mail_server.connections == 3 == tick.connections
    assert mail_server.count() == 7


def test_the_file_backend_of_a_local_run_records_a_send_without_a_reply(settings, clinic, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    follow_up = due_follow_up()

    assert reminders.reminders_send_due().sent == 1

    delivery = follow_up.deliveries.get()
    assert delivery.status == ReminderDelivery.Status.SENT
    assert delivery.smtp_code is None
    written = "".join(p.read_text() for p in tmp_path.iterdir())
    assert delivery.message_id in written
    assert follow_up.patient.email in written


@pytest.mark.django_db(transaction=True)
def test_senders_side_by_side_send_each_reminder_once_over_their_own_connections(
    mail_server, settings
):
    """FOLLOWUP_REMINDER_SENDERS threads, each with its own database connection (so the
    test commits its rows) and its own SMTP connection per batch."""
    settings.FOLLOWUP_REMINDER_SENDERS = 3
    settings.FOLLOWUP_REMINDER_BATCH_SIZE = 4
    mail_server.rcpt_hold = 0.2  # each message waits at the server: the senders overlap
    follow_ups = [due_follow_up() for _ in range(24)]

    tick = reminders.reminders_send_due()

    assert (tick.senders, tick.sent, tick.retrying, tick.failed) == (3, 24, 0, 0)
    assert mail_server.per_recipient() == {f.patient.email: 1 for f in follow_ups}
    assert tick.batches == 6  # 24 in batches of 4, however the senders shared them
    assert mail_server.connections == tick.connections == 6
    # Messages of different senders were at the server at the same moment.
    assert mail_server.held_at_most >= 2
    sent = ReminderDelivery.objects.filter(status=ReminderDelivery.Status.SENT)
    assert sorted(sent.values_list("follow_up_id", flat=True)) == sorted(f.pk for f in follow_ups)
    assert not FollowUp.objects.filter(pk__in=[f.pk for f in follow_ups]).exclude(
        reminders_sent=1, claimed_until=None, reminder_state=FollowUp.ReminderState.SENT
    )


def test_a_batch_reads_its_rows_again_ten_at_a_time_not_once_per_message(mail_server):
    for _ in range(25):
        due_follow_up()
    claimed = reminders.reminders_claim_due()

    with CaptureQueriesContext(connection) as queries:
        reminders.reminders_send_batch(claimed=claimed, tick=reminders.ReminderTick())

    # The clinic profile twice (the profile, the send time), three reads again (10 + 10 +
    # 5), and one statement per message recording the server's answer.
    assert len(queries) == 2 + 3 + 25
    assert mail_server.count() == 25


# --- Who gets e-mail ----------------------------------------------------------------


def test_patients_who_cannot_get_e_mail_when_it_is_due_go_to_the_call_list(mail_server):
    withdrew = due_follow_up()
    withdrew.patient.__class__.objects.filter(pk=withdrew.patient_id).update(email_consent=False)
    bad_address = due_follow_up()
    bad_address.patient.__class__.objects.filter(pk=bad_address.patient_id).update(
        email="not an address"
    )
    fine = due_follow_up()

    tick = reminders.reminders_send_due()

    assert tick.sent == 1
    assert mail_server.per_recipient() == {fine.patient.email: 1}
    for follow_up in (withdrew, bad_address):
        assert_on_call_list(follow_up)
        assert not follow_up.deliveries.exists()


def test_a_follow_up_no_longer_pending_is_not_reminded(mail_server):
    follow_up = due_follow_up()
    FollowUp.objects.filter(pk=follow_up.pk).update(status=FollowUp.Status.COMPLETED)

    assert reminders.reminders_send_due().batches == 0
    assert mail_server.count() == 0


# --- Refusals ----------------------------------------------------------------------


def test_a_temporary_refusal_is_retried_with_growing_waits_then_failed(mail_server, settings):
    settings.FOLLOWUP_REMINDER_RETRY_BACKOFF_SECONDS = 60
    settings.FOLLOWUP_REMINDER_RETRY_MAX_ATTEMPTS = 3
    mail_server.refuse = lambda address: "451 4.3.0 Mailbox busy, try later"
    follow_up = due_follow_up()

    for attempt, wait in ((1, 60), (2, 120)):
        before = timezone.now()
        tick = reminders.reminders_send_due()
        assert (tick.sent, tick.retrying, tick.failed) == (0, 1, 0)
        follow_up.refresh_from_db()
        assert follow_up.temporary_failures == attempt
        assert follow_up.reminder_state == FollowUp.ReminderState.SCHEDULED
        assert follow_up.claimed_until is None
        delay = follow_up.next_reminder_at - before
        assert datetime.timedelta(seconds=wait) <= delay < datetime.timedelta(seconds=wait + 5)
        # Not before its time...
        assert reminders.reminders_send_due().batches == 0
        make_due(follow_up)  # ... and then the wait is over.

    tick = reminders.reminders_send_due()
    assert (tick.sent, tick.retrying, tick.failed) == (0, 0, 1)
    follow_up.refresh_from_db()
    assert follow_up.reminder_state == FollowUp.ReminderState.FAILED
    assert follow_up.next_reminder_at is None
    statuses = list(follow_up.deliveries.order_by("id").values_list("status", "smtp_code"))
    assert statuses == [
        ("temporary_failure", 451),
        ("temporary_failure", 451),
        ("failed", 451),
    ]
    assert "Mailbox busy" in follow_up.deliveries.first().smtp_reply
    assert mail_server.count() == 0


def test_a_temporary_refusal_then_acceptance_sends_once(mail_server, settings):
    refusals = iter(["421 4.7.0 Too many connections"])
    mail_server.refuse = lambda address: next(refusals, None)
    follow_up = due_follow_up()

    reminders.reminders_send_due()
    make_due(follow_up)
    reminders.reminders_send_due()

    follow_up.refresh_from_db()
    assert follow_up.reminder_state == FollowUp.ReminderState.SENT
    assert follow_up.temporary_failures == 0
    assert mail_server.per_recipient() == {follow_up.patient.email: 1}
    assert list(follow_up.deliveries.order_by("id").values_list("status", flat=True)) == [
        "temporary_failure",
        "sent",
    ]


def test_a_permanent_refusal_fails_at_once_for_staff_to_call(mail_server):
    follow_up = due_follow_up()
    other = due_follow_up()
    unknown = follow_up.patient.email
    mail_server.refuse = lambda address: "550 5.1.1 No such user" if address == unknown else None

    tick = reminders.reminders_send_due()

    assert (tick.sent, tick.failed) == (1, 1)
    follow_up.refresh_from_db()
    assert follow_up.reminder_state == FollowUp.ReminderState.FAILED
    assert follow_up.temporary_failures == 0
    assert follow_up.next_reminder_at is None
    delivery = follow_up.deliveries.get()
    assert (delivery.status, delivery.smtp_code) == ("failed", 550)
    # The refusal did not spoil the conversation for the next message.
    assert mail_server.per_recipient() == {other.patient.email: 1}
    assert mail_server.connections == 1


def test_a_server_hanging_up_mid_batch_is_called_again_for_the_rest(mail_server):
    first, dropped, last = (due_follow_up() for _ in range(3))
    address = dropped.patient.email
    mail_server.hang_up_on = lambda to: to == address

    tick = reminders.reminders_send_due()

    assert (tick.sent, tick.retrying, tick.connections) == (2, 1, 2)
    assert mail_server.per_recipient() == {first.patient.email: 1, last.patient.email: 1}
    delivery = dropped.deliveries.get()
    assert (delivery.status, delivery.smtp_code) == ("temporary_failure", None)
    dropped.refresh_from_db()
    assert dropped.temporary_failures == 1 and dropped.next_reminder_at > timezone.now()


def test_a_server_that_cannot_be_reached_makes_the_batch_wait_and_retry(clinic, settings):
    with smtp_server() as (_, port):
        pass  # started and stopped: nothing listens on the port now
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.FOLLOWUP_REMINDER_RETRY_BACKOFF_SECONDS = 30
    follow_ups = [due_follow_up() for _ in range(3)]

    tick = reminders.reminders_send_due()

    assert (tick.sent, tick.retrying, tick.connections) == (0, 3, 0)
    for follow_up in follow_ups:
        follow_up.refresh_from_db()
        assert follow_up.temporary_failures == 1
        assert follow_up.next_reminder_at > timezone.now()
        delivery = follow_up.deliveries.get()
        assert delivery.status == "temporary_failure" and delivery.smtp_code is None
        assert "refused" in delivery.smtp_reply.lower()


def test_a_reminder_that_cannot_be_written_fails_without_holding_up_the_others(
    mail_server,
):
    broken = due_follow_up(
        kind=Kind.CHECK_IN, rule=FollowUpRuleFactory(code="odd", template="no_such_email")
    )
    fine = due_follow_up()

    tick = reminders.reminders_send_due()

    assert (tick.sent, tick.failed) == (1, 1)
    broken.refresh_from_db()
    assert broken.reminder_state == FollowUp.ReminderState.FAILED
    assert "could not be written" in broken.deliveries.get().smtp_reply
    assert mail_server.per_recipient() == {fine.patient.email: 1}


# --- Further reminders ---------------------------------------------------------------


def test_one_further_reminder_after_the_set_days_then_no_more(mail_server, settings):
    settings.FOLLOWUP_REMINDER_FURTHER_DAYS = 5
    settings.FOLLOWUP_REMINDER_MAX = 2
    follow_up = due_follow_up(kind=Kind.CHECK_IN)

    reminders.reminders_send_due()
    follow_up.refresh_from_db()
    assert follow_up.next_reminder_at == reminder_time(
        timezone.localdate() + datetime.timedelta(days=5)
    )
    assert reminders.reminders_send_due().sent == 0  # not before the five days

    make_due(follow_up)
    assert reminders.reminders_send_due().sent == 1
    follow_up.refresh_from_db()
    assert follow_up.reminders_sent == 2
    assert follow_up.next_reminder_at is None
    assert reminders.reminders_send_due().batches == 0

    first, further = mail_server.arrivals
    assert "a reminder" not in first.subject and "a reminder" in further.subject
    assert first.message_id != further.message_id
    assert list(follow_up.deliveries.order_by("id").values_list("reminder_number", flat=True)) == [
        1,
        2,
    ]


def test_a_cap_of_one_sends_no_further_reminder(mail_server, settings):
    settings.FOLLOWUP_REMINDER_MAX = 1
    follow_up = due_follow_up()

    reminders.reminders_send_due()

    follow_up.refresh_from_db()
    assert (follow_up.reminders_sent, follow_up.next_reminder_at) == (1, None)


def test_a_completed_follow_up_gets_no_further_reminder(mail_server):
    follow_up = due_follow_up()
    reminders.reminders_send_due()
    FollowUp.objects.filter(pk=follow_up.pk).update(
        status=FollowUp.Status.COMPLETED,
        next_reminder_at=timezone.now() - datetime.timedelta(days=1),
    )

    assert reminders.reminders_send_due().batches == 0
    assert mail_server.count() == 1


# --- Claims --------------------------------------------------------------------------


def test_a_claim_holds_its_reminders_for_the_lease_only(clinic, settings):
    settings.FOLLOWUP_REMINDER_LEASE_SECONDS = 300
    follow_ups = [due_follow_up() for _ in range(3)]
    now = timezone.now()

    claimed = reminders.reminders_claim_due(now=now)

    assert {f.pk for f in claimed} == {f.pk for f in follow_ups}
    assert all(f.claimed_until == now + datetime.timedelta(seconds=300) for f in claimed)
    assert reminders.reminders_claim_due(now=now + datetime.timedelta(seconds=299)) == []
    # A sender killed after claiming: once the lease ends another takes them.
    again = reminders.reminders_claim_due(now=now + datetime.timedelta(seconds=301))
    assert {f.pk for f in again} == {f.pk for f in follow_ups}


def test_a_claim_takes_a_constant_number_of_queries(clinic):
    for _ in range(3):
        due_follow_up()
    with CaptureQueriesContext(connection) as few:
        assert len(reminders.reminders_claim_due()) == 3
    for _ in range(30):
        due_follow_up()
    with CaptureQueriesContext(connection) as many:
        assert len(reminders.reminders_claim_due()) == 30
    # The locking read and the lease update (within the test's savepoint).
    assert len(few) == len(many) == 4


def test_a_follow_up_completed_after_the_claim_is_not_e_mailed(mail_server):
    follow_up = due_follow_up()
    claimed = reminders.reminders_claim_due()
    # Meanwhile staff complete the follow-up, which stops its reminders.
    FollowUp.objects.filter(pk=follow_up.pk).update(
        status=FollowUp.Status.COMPLETED, next_reminder_at=None, claimed_until=None
    )
    tick = reminders.ReminderTick()

    reminders.reminders_send_batch(claimed=claimed, tick=tick)

    assert (tick.sent, tick.released) == (0, 1)
    assert mail_server.count() == 0
    assert not follow_up.deliveries.exists()


def test_an_unsubscribe_after_the_claim_still_stops_the_e_mail(mail_server):
    follow_up = due_follow_up()
    claimed = reminders.reminders_claim_due()
    Patient.objects.filter(pk=follow_up.patient_id).update(email_consent=False)
    tick = reminders.ReminderTick()

    reminders.reminders_send_batch(claimed=claimed, tick=tick)

    assert (tick.sent, tick.moved_to_calls) == (0, 1)
    assert mail_server.count() == 0
    follow_up.refresh_from_db()
    assert (follow_up.channel, follow_up.next_reminder_at) == (Channel.CALL, None)


def test_a_new_address_given_after_the_claim_is_the_one_written_to(mail_server):
    follow_up = due_follow_up()
    claimed = reminders.reminders_claim_due()
    Patient.objects.filter(pk=follow_up.patient_id).update(email="new.address@example.org")

    reminders.reminders_send_batch(claimed=claimed, tick=reminders.ReminderTick())

    assert mail_server.per_recipient() == {"new.address@example.org": 1}
    assert follow_up.deliveries.get().to_address == "new.address@example.org"


def _complete_elsewhere(follow_up_id: int) -> None:
    # Another connection, as a staff request would be, committing at once.
    try:
        FollowUp.objects.filter(pk=follow_up_id).update(
            status=FollowUp.Status.COMPLETED, next_reminder_at=None, claimed_until=None
        )
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_a_follow_up_completed_while_its_message_is_on_the_way_stays_completed(mail_server):
    """The claim is taken away between the last check and the server's answer: the
    message left (the log says so) but the conditional update changes nothing."""
    follow_up = due_follow_up()

    def complete_then_accept(address: str) -> None:
        staff = threading.Thread(target=_complete_elsewhere, args=(follow_up.pk,))
        staff.start()
        staff.join()

    mail_server.refuse = complete_then_accept

    reminders.reminders_send_due()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED
    assert follow_up.reminders_sent == 0
    assert follow_up.next_reminder_at is None
    assert follow_up.deliveries.get().status == ReminderDelivery.Status.SENT
    assert mail_server.count() == 1


def test_a_sender_near_the_end_of_its_lease_hands_its_claims_back(mail_server, settings):
    settings.FOLLOWUP_REMINDER_LEASE_SECONDS = 8  # shorter than two EMAIL_TIMEOUTs (5 s)
    follow_up = due_follow_up()

    tick = reminders.reminders_send_due(budget_seconds=0.5)

    assert tick.sent == 0 and tick.released >= 1
    assert mail_server.count() == 0
    follow_up.refresh_from_db()
    assert follow_up.claimed_until is None


@pytest.mark.django_db(transaction=True)
def test_two_senders_claiming_at_once_get_disjoint_reminders(clinic):
    """Skip-locked: while one sender's claim transaction still holds its rows, a second
    sender on another database connection claims the others, never the same."""
    follow_ups = [due_follow_up() for _ in range(10)]
    first_holds = threading.Event()
    first_may_commit = threading.Event()
    first: list[FollowUp] = []

    def first_sender() -> None:
        try:
            with transaction.atomic():
                first.extend(reminders.reminders_claim_due(limit=4))
                first_holds.set()
                first_may_commit.wait(timeout=10)
        finally:
            connection.close()

    thread = threading.Thread(target=first_sender)
    thread.start()
    assert first_holds.wait(timeout=10)
    second = reminders.reminders_claim_due(limit=10)
    first_may_commit.set()
    thread.join(timeout=10)

    assert len(first) == 4 and len(second) == 6
    assert {f.pk for f in first}.isdisjoint({f.pk for f in second})
    assert {f.pk for f in first} | {f.pk for f in second} == {f.pk for f in follow_ups}
    # Both committed: every reminder is now held by exactly one sender.
    assert reminders.reminders_claim_due() == []


# --- Unsubscribing from the e-mail itself --------------------------------------------


def test_the_unsubscribe_link_in_a_reminder_stops_the_patients_e_mails(mail_server, client):
    follow_up = due_follow_up()
    later = follow_up_add(
        by=None,
        patient=follow_up.patient,
        kind=Kind.CHECK_IN,
        due_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    reminders.reminders_send_due()
    link = list_unsubscribe(mail_server.arrivals[0])

    response = client.post(urlsplit(link).path, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    follow_up.patient.refresh_from_db()
    assert follow_up.patient.email_consent is False
    later.refresh_from_db()
    assert (later.channel, later.next_reminder_at) == (Channel.CALL, None)
    # The further reminder of the one already sent is stopped too.
    follow_up.refresh_from_db()
    assert follow_up.next_reminder_at is None
    make_due(follow_up)
    assert reminders.reminders_send_due().sent == 0
