"""The staff worklist: what needs doing today, most urgent first."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from apps.followups.models import Channel, FollowUp, PatientReport
from apps.followups.selectors.follow_ups import follow_ups_visible_to
from apps.patients.selectors import patients_visible_to

# A day's work fits on a page; beyond this the oldest are shown and the page says so.
WORKLIST_LIMIT = 300
REPORT_PERMISSION = "followups.view_patientreport"


@dataclass
class Worklist:
    """Each pending follow-up sits in one section only: a call follow-up is on the call
    list, a failed e-mail among the failed deliveries, the rest overdue or due today."""

    overdue: list[FollowUp] = field(default_factory=list)
    due_today: list[FollowUp] = field(default_factory=list)
    failed_deliveries: list[FollowUp] = field(default_factory=list)
    reports_waiting: list[PatientReport] | None = None  # None: the reader may not see them
    call_list: list[FollowUp] = field(default_factory=list)
    truncated: bool = False

    @property
    def is_empty(self) -> bool:
        return not (
            self.overdue
            or self.due_today
            or self.failed_deliveries
            or self.reports_waiting
            or self.call_list
        )


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


def worklist_for(*, user, today: datetime.date | None = None) -> Worklist:
    """Two queries: the follow-ups due (or whose e-mail failed) and the self-reports
    waiting for review. Patients whose record is voided are left out."""
    today = today or timezone.localdate()
    worklist = Worklist()
    rows = list(
        follow_ups_visible_to(user, include_voided=False)
        .filter(status=FollowUp.Status.PENDING)
        .filter(Q(due_on__lte=today) | Q(reminder_state=FollowUp.ReminderState.FAILED))
        .order_by("due_on", "id")[: WORKLIST_LIMIT + 1]
    )
    worklist.truncated = len(rows) > WORKLIST_LIMIT
    for follow_up in rows[:WORKLIST_LIMIT]:
        section = worklist_section(follow_up, today=today)
        if section:
            getattr(worklist, section).append(follow_up)
    if user.has_perm(REPORT_PERMISSION):
        worklist.reports_waiting = list(
            PatientReport.objects.filter(
                review=PatientReport.Review.WAITING,
                patient__in=patients_visible_to(user).values("pk"),
            )
            .select_related("patient", "follow_up")
            .order_by("submitted_at", "id")
        )
    return worklist
