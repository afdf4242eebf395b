"""The staff worklist: what needs doing today, most urgent first."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from apps.accounts.models import User
from apps.followups.models import Channel, FollowUp, SelfReport
from apps.followups.selectors.follow_ups import follow_ups_visible_to
from apps.patients.selectors import of_visible_patients
from apps.photos.models import SentPhoto
from apps.photos.selectors import sent_photos_waiting

# Rows per section: a day's work fits on a page. A long backlog shows its oldest rows
# and says so; each section has its own limit, so a backlog of overdue e-mails never
# hides today's calls.
SECTION_LIMIT = 50
SELF_REPORT_PERMISSION = "followups.view_selfreport"


@dataclass
class Worklist:
    """Each pending follow-up sits in one section only: a call follow-up is on the call
    list, a failed e-mail among the failed deliveries, the rest overdue or due today."""

    overdue: list[FollowUp] = field(default_factory=list)
    due_today: list[FollowUp] = field(default_factory=list)
    failed_deliveries: list[FollowUp] = field(default_factory=list)
    self_reports_waiting: list[SelfReport] | None = None  # None: the reader may not see them
    sent_photos_waiting: list[SentPhoto] | None = None  # None: the reader does not review them
    call_list: list[FollowUp] = field(default_factory=list)
    truncated: set[str] = field(default_factory=set)  # sections with more than shown

    @property
    def is_empty(self) -> bool:
        return not (
            self.overdue
            or self.due_today
            or self.failed_deliveries
            or self.self_reports_waiting
            or self.sent_photos_waiting
            or self.call_list
        )


def _section_filters(today: datetime.date) -> dict[str, Q]:
    email = Q(channel=Channel.EMAIL) & ~Q(reminder_state=FollowUp.ReminderState.FAILED)
    return {
        "overdue": email & Q(due_on__lt=today),
        "due_today": email & Q(due_on=today),
        "failed_deliveries": Q(channel=Channel.EMAIL, reminder_state=FollowUp.ReminderState.FAILED),
        "call_list": Q(channel=Channel.CALL, due_on__lte=today),
    }


def worklist_section(follow_up: FollowUp, *, today: datetime.date) -> str | None:
    """Which section a follow-up belongs in today (None: not on the worklist)."""
    if follow_up.status != FollowUp.Status.PENDING:
        return None
    if follow_up.channel == Channel.CALL:
        return "call_list" if follow_up.due_on <= today else None
    if follow_up.reminder_state == FollowUp.ReminderState.FAILED:
        return "failed_deliveries"
    if follow_up.due_on < today:
        return "overdue"
    if follow_up.due_on == today:
        return "due_today"
    return None


def worklist_for(*, user: User, today: datetime.date | None = None) -> Worklist:
    """One query per section, oldest first (each served by the pending-due index), one
    for the self-reports waiting for review and one for the photos patients sent. Voided
    patients are left out."""
    today = today or timezone.localdate()
    worklist = Worklist()
    pending = follow_ups_visible_to(user, include_voided=False).filter(
        status=FollowUp.Status.PENDING
    )
    for name, condition in _section_filters(today).items():
        rows = list(pending.filter(condition).order_by("due_on", "id")[: SECTION_LIMIT + 1])
        if len(rows) > SECTION_LIMIT:
            worklist.truncated.add(name)
        setattr(worklist, name, rows[:SECTION_LIMIT])
    if user.has_perm(SELF_REPORT_PERMISSION):
        worklist.self_reports_waiting = list(
            of_visible_patients(SelfReport.objects.all(), user, include_voided=False)
            .filter(review=SelfReport.Review.WAITING)
            .select_related("patient", "follow_up")
            .order_by("submitted_at", "id")
        )
    worklist.sent_photos_waiting = sent_photos_waiting(user=user)
    return worklist


def worklist_today(*, user: User, today: datetime.date | None = None) -> dict[str, int]:
    """How many follow-ups wait in each worklist section, in two queries, and how many
    self-reports wait for review (one more, for those who review them): the dashboard's
    panel of the day."""
    today = today or timezone.localdate()
    sections = _section_filters(today)
    failed = sections.pop("failed_deliveries")
    pending = follow_ups_visible_to(user, include_voided=False).filter(
        status=FollowUp.Status.PENDING
    )
    # Only what a section can hold is counted: follow-ups due by today, from the
    # pending-counts index alone (not every pending follow-up of the clinic, most of them
    # due in weeks or months: 410,000 pending, 55,000 of them due, at 100,000 patients),
    # and the failed deliveries from their own index. Together in one query they read the
    # whole table, since an OR of the two conditions fits neither index.
    counts = pending.filter(due_on__lte=today).aggregate(
        # Counted by due_on (never null), which the index holds, unlike the id.
        **{name: Count("due_on", filter=condition) for name, condition in sections.items()}
    )
    counts["failed_deliveries"] = pending.filter(failed).count()
    counts["self_reports_waiting"] = (
        of_visible_patients(SelfReport.objects.all(), user, include_voided=False)
        .filter(review=SelfReport.Review.WAITING)
        .count()
        if user.has_perm(SELF_REPORT_PERMISSION)
        else 0
    )
    return counts
