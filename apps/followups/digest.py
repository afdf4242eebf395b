"""The clinicians' daily digest: what waits for a clinician's attention today.

One e-mail per active clinician per clinic day, listing open and overdue medication
flags, overdue follow-ups, unresolved serious adverse events and signalling lots. The
lists are the clinic's, the same for every clinician. Nothing is sent on a day when all
of them are empty. Patients appear by MRN only, with links to the pages (sign-in
required), never by name.

A StaffDigest row is inserted in the same transaction that sends the message: a send
that fails rolls the row back, so the retry sends it; a second run that day finds the
row (or waits on its insert while the first is sending) and sends nothing."""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.clinic.selectors import clinic_profile
from apps.followups.models import FollowUp, StaffDigest
from apps.safety.models import AdverseEvent, MedicationFlag
from apps.safety.selectors.safety_signals import lot_signal_lines, signalling_lot_signals
from exotrack import roles
from exotrack.emails import email_message

logger = logging.getLogger(__name__)

# How many rows of each list the e-mail shows; the counts always cover them all.
TOP = 10


def _link(url_name: str, *args) -> str:
    """An absolute link to a staff page; empty when that page is not part of this site."""
    try:
        return settings.SITE_URL + reverse(url_name, args=args)
    except NoReverseMatch:
        return ""


@dataclass
class StaffDigestContent:
    today: datetime.date
    open_flags: int = 0
    overdue_flags: int = 0
    flags: list[dict] = field(default_factory=list)
    overdue_follow_ups: int = 0
    follow_ups: list[dict] = field(default_factory=list)
    serious_events: int = 0
    events: list[dict] = field(default_factory=list)
    lot_signals: list[dict] = field(default_factory=list)

    @property
    def summary(self) -> list[str]:
        """One phrase per non-empty list, for the subject line."""

        def counted(n: int, what: str) -> str:
            return f"{n} {what}{'' if n == 1 else 's'}"

        phrases = []
        if self.open_flags or self.overdue_flags:
            phrases.append(
                counted(self.open_flags, "open flag")
                + (f" ({self.overdue_flags} overdue)" if self.overdue_flags else "")
            )
        if self.overdue_follow_ups:
            phrases.append(counted(self.overdue_follow_ups, "overdue follow-up"))
        if self.serious_events:
            phrases.append(counted(self.serious_events, "unresolved serious event"))
        if self.lot_signals:
            phrases.append(counted(len(self.lot_signals), "signalling lot"))
        return phrases

    @property
    def empty(self) -> bool:
        return not (
            self.open_flags
            or self.overdue_flags
            or self.overdue_follow_ups
            or self.serious_events
            or self.lot_signals
        )


def _flags(content: StaffDigestContent) -> None:
    unresolved = MedicationFlag.objects.exclude(status=MedicationFlag.Status.RESOLVED).filter(
        patient__voided_at__isnull=True
    )
    overdue = Q(review_by__lt=content.today)
    counts = unresolved.aggregate(
        open=Count("id", filter=Q(status=MedicationFlag.Status.OPEN)),
        overdue=Count("id", filter=overdue),
    )
    content.open_flags, content.overdue_flags = counts["open"], counts["overdue"]
    # Overdue first, then the soonest review date; acknowledged flags only when overdue.
    shown = unresolved.filter(Q(status=MedicationFlag.Status.OPEN) | overdue)
    content.flags = [
        {
            "mrn": flag.patient.mrn,
            "medication_class": flag.medication_class.name,
            "review_by": flag.review_by,
            "overdue": flag.review_by < content.today,
            "status": flag.get_status_display(),
            "link": _link("patients:detail", flag.patient_id),
        }
        for flag in shown.select_related("patient", "medication_class").order_by("review_by", "id")[
            :TOP
        ]
    ]


def _follow_ups(content: StaffDigestContent) -> None:
    overdue = FollowUp.objects.filter(
        status=FollowUp.Status.PENDING,
        due_on__lt=content.today,
        patient__voided_at__isnull=True,
    )
    content.overdue_follow_ups = overdue.count()
    content.follow_ups = [
        {
            "mrn": follow_up.patient.mrn,
            "kind": follow_up.get_kind_display(),
            "channel": follow_up.get_channel_display(),
            "due_on": follow_up.due_on,
            "days_late": (content.today - follow_up.due_on).days,
            "link": _link("patients:detail", follow_up.patient_id),
        }
        for follow_up in overdue.select_related("patient").order_by("due_on", "id")[:TOP]
    ]


def _serious_events(content: StaffDigestContent) -> None:
    serious = AdverseEvent.objects.filter(
        voided_at__isnull=True,
        resolution_date__isnull=True,
        seriousness__len__gt=0,
        patient__voided_at__isnull=True,
    )
    content.serious_events = serious.count()
    content.events = [
        {
            "mrn": event.patient.mrn,
            "event_type": event.event_type.name,
            "grade": event.get_grade_display(),
            "onset_date": event.onset_date,
            "link": _link("safety:adverse-event-detail", event.pk),
        }
        for event in serious.select_related("patient", "event_type").order_by("onset_date", "id")[
            :TOP
        ]
    ]


def staff_digest_content(*, today: datetime.date) -> StaffDigestContent:
    """What today's digest tells: seven queries whatever the number of rows."""
    content = StaffDigestContent(today=today)
    _flags(content)
    _follow_ups(content)
    _serious_events(content)
    content.lot_signals = lot_signal_lines(list(signalling_lot_signals()))
    return content


def clinicians_awaiting_digest(*, today: datetime.date) -> QuerySet[User]:
    """Active clinicians with an e-mail address who have not had today's digest."""
    return (
        User.objects.filter(is_active=True, groups__name=roles.CLINICIAN)
        .exclude(email="")
        .exclude(Exists(StaffDigest.objects.filter(user=OuterRef("pk"), digest_on=today)))
        .order_by("id")
        .distinct()
    )


def _send(*, user: User, today: datetime.date, context: dict, now: datetime.datetime) -> bool:
    """Insert the day's row and send in one transaction; False if another run has it."""
    try:
        with transaction.atomic():
            StaffDigest.objects.create(user=user, digest_on=today, sent_at=now)
            email_message(
                template="followups/email/digest",
                context={**context, "user": user},
                to=[user.email],
            ).send()
    except IntegrityError:
        return False
    return True


def staff_digest_send(*, now: datetime.datetime) -> list[User]:
    """Send today's digest to every clinician who has not had it. Returns who got it.

    Every clinician is tried; if some sends failed, the first failure is raised after
    the others went out, so the task retries just the clinicians still waiting."""
    today = timezone.localdate(now)
    content = staff_digest_content(today=today)
    if content.empty:
        return []
    context = {
        "clinic": clinic_profile(),
        "digest": content,
        "links": {
            "flags": _link("safety:flag-list"),
            "follow_ups": _link("followups:worklist"),
            "events": _link("safety:adverse-event-list"),
            "signals": _link("safety:signals"),
        },
    }
    sent, failures = [], []
    for user in clinicians_awaiting_digest(today=today):
        try:
            if _send(user=user, today=today, context=context, now=now):
                sent.append(user)
        except OSError as error:
            logger.warning("Digest for %s not sent: %s", user.username, error)
            failures.append(error)
    if failures:
        raise failures[0]
    return sent
