"""Reads of outcome assessments and episode summaries, filtered by what the reader may
see (the visits they may open)."""

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from apps.accounts.models import User
from apps.followups.models import FollowUp, Kind
from apps.outcomes.models import OutcomeAssessment, RegionInstrument, Timepoint
from apps.outcomes.rules import is_responder, region_instrument
from apps.patients.models import Patient
from apps.treatments.models import Dose, Visit
from apps.treatments.selectors import visits_visible_to

# Timepoints in the order of the schedule; "other" last.
TIMEPOINT_ORDER = [t for t in Timepoint.values if t != Timepoint.BASELINE]
# Follow-ups that ask about outcomes (and so may be answered with an assessment).
ASSESSED_FOLLOW_UP_KINDS = (Kind.OUTCOME, Kind.CHECK_IN)


def assessments_visible_to(user: User) -> QuerySet[OutcomeAssessment]:
    if not user.has_perm("outcomes.view_outcomeassessment"):
        return OutcomeAssessment.objects.none()
    return (
        OutcomeAssessment.objects.filter(dose__visit__in=visits_visible_to(user).values("pk"))
        .select_related("dose__site", "dose__visit")
        .order_by("-assessed_on", "-id")
    )


def assessment_search(
    *,
    user: User,
    dose_id: int | None = None,
    patient_id: int | None = None,
    timepoint: str = "",
) -> QuerySet[OutcomeAssessment]:
    """Assessments this user may see, newest first, narrowed to a dose, a patient and a
    timepoint."""
    assessments = assessments_visible_to(user)
    if dose_id is not None:
        assessments = assessments.filter(dose_id=dose_id)
    if patient_id is not None:
        assessments = assessments.filter(dose__visit__patient_id=patient_id)
    if timepoint:
        assessments = assessments.filter(timepoint=timepoint)
    return assessments


def doses_visible_to(user: User) -> QuerySet[Dose]:
    return Dose.objects.filter(visit__in=visits_visible_to(user).values("pk")).select_related(
        "site", "visit__patient"
    )


def follow_ups_assessable_by(user: User) -> QuerySet[FollowUp]:
    """Follow-ups whose visit this user may open, of a kind answered with an outcome."""
    return FollowUp.objects.filter(
        kind__in=ASSESSED_FOLLOW_UP_KINDS,
        visit__in=visits_visible_to(user).values("pk"),
    ).select_related("patient", "visit")


@dataclass
class TimepointResult:
    timepoint: str
    label: str
    assessment: OutcomeAssessment
    change: int | None  # pain now minus baseline: negative is better
    responder: bool | None


@dataclass
class EpisodeSummary:
    """One treated site of one visit: its baseline and the latest assessment at each
    timepoint, with the change from baseline and whether that is a response."""

    dose: Dose
    baseline: int | None
    baseline_source: str  # "visit form", "assessment" or ""
    results: list[TimepointResult] = field(default_factory=list)
    instrument: str = ""

    @property
    def instrument_label(self) -> str:
        return RegionInstrument(self.instrument).label if self.instrument else ""

    @property
    def latest(self) -> TimepointResult | None:
        return max(
            self.results,
            key=lambda r: (r.assessment.assessed_on, r.assessment.pk),
            default=None,
        )


def episode_summary(dose: Dose) -> EpisodeSummary:
    """From a dose whose `live_assessments` were prefetched (see `episodes_of_patient`)."""
    # A prefetch's `to_attr`, which django-stubs cannot see on the model.
    assessments = dose.live_assessments  # type: ignore[attr-defined]
    baseline, source = dose.baseline_pain, "visit form"
    if baseline is None:
        stated = [a for a in assessments if a.timepoint == Timepoint.BASELINE]
        baseline, source = (stated[-1].pain, "assessment") if stated else (None, "")
    latest: dict[str, OutcomeAssessment] = {}
    for assessment in assessments:  # oldest first: a later one replaces an earlier one
        if assessment.timepoint != Timepoint.BASELINE:
            latest[assessment.timepoint] = assessment
    labels = dict(Timepoint.choices)
    results = [
        TimepointResult(
            timepoint=timepoint,
            label=labels[timepoint],
            assessment=latest[timepoint],
            change=None if baseline is None else latest[timepoint].pain - baseline,
            responder=is_responder(baseline, latest[timepoint].pain),
        )
        for timepoint in TIMEPOINT_ORDER
        if timepoint in latest
    ]
    return EpisodeSummary(
        dose=dose,
        baseline=baseline,
        baseline_source=source,
        results=results,
        instrument=region_instrument(dose.site),
    )


def _live_assessments() -> Prefetch:
    return Prefetch(
        "assessments",
        queryset=OutcomeAssessment.objects.filter(voided_at__isnull=True).order_by(
            "assessed_on", "id"
        ),
        to_attr="live_assessments",
    )


def episodes_of_patient(*, patient: Patient) -> list[EpisodeSummary]:
    """Every treated site of the patient's visits (voided visits left out), newest
    visit first: two queries whatever the number of visits and assessments."""
    doses = (
        Dose.objects.filter(visit__patient=patient, visit__voided_at__isnull=True)
        .select_related("site", "visit")
        .prefetch_related(_live_assessments())
        .order_by("-visit__visited_at", "id")
    )
    return [episode_summary(dose) for dose in doses]


def episodes_of_visit(*, visit: Visit) -> list[EpisodeSummary]:
    doses = (
        Dose.objects.filter(visit=visit)
        .select_related("site", "visit")
        .prefetch_related(_live_assessments())
        .order_by("id")
    )
    return [episode_summary(dose) for dose in doses]


def episode_assessments(*, dose: Dose) -> QuerySet[OutcomeAssessment]:
    """Every assessment of an episode, voided ones too (the page marks them)."""
    return (
        OutcomeAssessment.objects.filter(dose=dose)
        .select_related("created_by", "voided_by", "follow_up")
        .order_by("assessed_on", "id")
    )
