"""What a patient submits through the self-report link of a reminder e-mail.

One submission, one transaction: the follow-up row is locked, the pain scores become an
outcome assessment for every treated site of the visit (the page names no site), the
follow-up is completed and its link spent, the yes/no answers are kept as a
SelfReport (waiting for a clinician when any is "yes"), dizziness on standing
raises a medication-adjustment flag, and a photo the patient added waits for staff to
accept it into the record. Any refusal leaves nothing behind."""

import datetime
from dataclasses import dataclass, fields

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.followups.models import FollowUp, SelfReport
from apps.outcomes.models import OutcomeAssessment
from apps.outcomes.selectors import ASSESSED_FOLLOW_UP_KINDS
from apps.outcomes.services import EpisodeAnswers, follow_up_assessments_record
from apps.photos.processing import ProcessedPhoto
from apps.photos.services import checked_upload, sent_photo_store
from apps.safety.models import AdverseEvent, MedicationFlag
from apps.safety.services.medication_flags import medication_flags_raise
from apps.treatments.models import Visit
from exotrack.history import recorded_by

COMPLETION_NOTE = "The patient answered through the self-report link."


class SelfReportUnavailable(Exception):
    """The link is sound but cannot be answered (any more). `reason` is one of:
    "used" (answered already), "completed" (the clinic completed the follow-up),
    "cancelled" (cancelled, superseded, its visit or patient voided), "unknown"."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class SelfReportAnswers:
    pain: int | None
    pgic: int | None
    percent_better: int | None
    cold_sore: bool | None
    wound_signs: bool | None
    fever: bool | None
    dizziness: bool | None


_YES_NO = ("cold_sore", "wound_signs", "fever", "dizziness")


def _unavailable_reason(follow_up: FollowUp, visit: Visit) -> str | None:
    if follow_up.kind not in ASSESSED_FOLLOW_UP_KINDS:
        return "unknown"
    if follow_up.self_report_used_at is not None:
        return "used"
    if follow_up.status == FollowUp.Status.COMPLETED:
        return "completed"
    if (
        follow_up.status != FollowUp.Status.PENDING
        or visit.is_voided
        or follow_up.patient.is_voided
    ):
        return "cancelled"
    return None


def _answerable(follow_up: FollowUp | None) -> tuple[FollowUp, Visit]:
    """The follow-up a link opens and its visit: raises SelfReportUnavailable."""
    visit = follow_up.visit if follow_up is not None else None
    if follow_up is None or visit is None:
        raise SelfReportUnavailable("unknown")
    reason = _unavailable_reason(follow_up, visit)
    if reason:
        raise SelfReportUnavailable(reason)
    return follow_up, visit


def self_report_follow_up(follow_up_id: int) -> FollowUp:
    """The follow-up a link opens, with its patient: raises SelfReportUnavailable."""
    follow_up = FollowUp.objects.select_related("patient", "visit").filter(pk=follow_up_id).first()
    return _answerable(follow_up)[0]


def _answer_errors(answers: SelfReportAnswers) -> dict[str, str]:
    errors = {
        name: "Please answer yes or no." for name in _YES_NO if getattr(answers, name) is None
    }
    if answers.pgic is None:
        errors["pgic"] = "Please choose how you feel compared with before the treatment."
    return errors


def _score_errors(error: ValidationError) -> dict[str, list[str]]:
    """The same scores went to every site: one message per score, under its own name."""
    errors: dict[str, list[str]] = {}
    for key, messages in error.message_dict.items():
        name = key.rsplit(".", 1)[-1]
        if name in {f.name for f in fields(SelfReportAnswers)}:
            errors.setdefault(name, messages)
        else:
            errors.setdefault("__all__", []).extend(messages)
    return errors


def self_report_submit(
    *,
    follow_up_id: int,
    answers: SelfReportAnswers,
    photo: File | None = None,
    on: datetime.date | None = None,
) -> SelfReport:
    """Store a patient's answers, and `photo` if they added one. Raises ValidationError
    (by question, `photo` for the photo) or SelfReportUnavailable (used, completed,
    cancelled): either way nothing is stored, no file either."""
    on = on or timezone.localdate()
    errors: dict[str, list[str] | str] = dict(_answer_errors(answers))
    processed: ProcessedPhoto | None = None
    if photo is not None:
        # Decoded before the follow-up is locked: a large photo takes a moment.
        try:
            processed = checked_upload(photo, field="photo")
        except ValidationError as refused:
            errors.update(refused.message_dict)
    with transaction.atomic(), pghistory.context(source="self-report"):
        follow_up, visit = _answerable(
            FollowUp.objects.select_for_update(of=("self",))
            .select_related("patient", "visit")
            .filter(pk=follow_up_id)
            .first()
        )
        episodes = [
            EpisodeAnswers(
                dose=dose,
                pain=answers.pain,
                pgic=answers.pgic,
                percent_better=answers.percent_better,
            )
            for dose in visit.doses.all()
        ]
        try:
            follow_up_assessments_record(
                by=None,
                visit=visit,
                assessed_on=on,
                episodes=episodes,
                source=OutcomeAssessment.Source.SELF_REPORT,
                follow_up=follow_up,
                completion_note=COMPLETION_NOTE,
            )
        except ValidationError as refused:
            errors = {**_score_errors(refused), **errors}
        if errors:
            # Raised inside the transaction: assessments saved above roll back with it.
            raise ValidationError(errors)
        now = timezone.now()
        FollowUp.objects.filter(pk=follow_up.pk).update(self_report_used_at=now, updated_at=now)
        # Each answered: `_answer_errors` refused a missing one above.
        yes_no = {name: getattr(answers, name) for name in _YES_NO}
        any_yes = any(yes_no.values())
        report = SelfReport.objects.create(
            follow_up=follow_up,
            patient=follow_up.patient,
            submitted_at=now,
            review=SelfReport.Review.WAITING if any_yes else SelfReport.Review.NOT_NEEDED,
            **yes_no,
        )
        if answers.dizziness:
            medication_flags_raise(
                by=None,
                patient=follow_up.patient,
                source=MedicationFlag.Source.SELF_REPORT,
                reason=f"The patient reported dizziness on standing on {on:%Y-%m-%d}.",
                visit=visit,
                on=on,
            )
        if processed is not None:
            # Last, so that no later refusal leaves its files behind.
            sent_photo_store(follow_up=follow_up, processed=processed, sent_at=now)
        return report


def self_report_dismiss(*, by: User, report: SelfReport, note: str) -> SelfReport:
    """A clinician found nothing to record as an adverse event. Only a report still
    waiting for review can be dismissed; the note says why."""
    if not by.has_perm("followups.change_selfreport"):
        raise PermissionDenied("Only a clinician can dismiss a self-report.")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say why nothing is recorded."})
    with transaction.atomic(), recorded_by(by):
        locked = SelfReport.objects.select_for_update().get(pk=report.pk)
        if locked.review != SelfReport.Review.WAITING:
            state = locked.get_review_display()
            raise ValidationError(
                {"note": f"This self-report is not waiting for review ({state})."}
            )
        locked.review = SelfReport.Review.DISMISSED
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = by
        locked.review_note = note
        locked.save(update_fields=["review", "reviewed_at", "reviewed_by", "review_note"])
        return locked


def self_report_confirm(*, by: User, report: SelfReport, event: AdverseEvent) -> SelfReport:
    """A clinician recorded `event` from this self-report: the report is answered by it.
    Only a report of the event's patient still waiting for review can be confirmed; the
    errors are keyed `self_report`, the field of the event form that names it. Called
    inside the event's transaction, so a refusal leaves no event either."""
    with transaction.atomic(), recorded_by(by):
        locked = SelfReport.objects.select_for_update().get(pk=report.pk)
        if locked.patient_id != event.patient_id:
            raise ValidationError(
                {
                    "self_report": ValidationError(
                        "This self-report is another patient's.", code="other_patient"
                    )
                }
            )
        if locked.review != SelfReport.Review.WAITING:
            raise ValidationError(
                {
                    "self_report": ValidationError(
                        "This self-report is not waiting for review any more.", code="reviewed"
                    )
                }
            )
        locked.review = SelfReport.Review.CONFIRMED
        locked.adverse_event = event
        locked.reviewed_by = by
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["review", "adverse_event", "reviewed_by", "reviewed_at"])
        return locked


def self_reports_reopen(*, by: User, event: AdverseEvent, note: str) -> int:
    """`event` was voided: a self-report confirmed as it is unanswered again, back on the
    worklist for a clinician to confirm properly or dismiss. `note` says why. Returns how
    many reports were reopened."""
    with transaction.atomic(), recorded_by(by):
        return SelfReport.objects.filter(adverse_event=event).update(
            review=SelfReport.Review.WAITING,
            adverse_event=None,
            reviewed_at=None,
            reviewed_by=None,
            review_note=note,
        )
