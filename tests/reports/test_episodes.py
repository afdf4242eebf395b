"""The episodes table the reports read stays equal to a full recomputation from the
records, whatever is written: a seeded random sequence of visits, doses, assessments,
adverse events, voids, corrections and deletions, one statement or many rows at a time,
checked after every step. And the rebuild command repairs it when it was written with
the triggers off."""

import datetime
import random

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone

from apps.outcomes.models import OutcomeAssessment, Timepoint
from apps.patients.models import Patient
from apps.reports import selectors
from apps.reports.episodes import defer_episodes, episodes_out_of_step, rebuild_episodes
from apps.reports.filters import ReportFilters
from apps.reports.models import Episode, ResponderRule
from apps.reports.selectors import report_summary
from apps.safety.models import AdverseEvent, AdverseEventDose, AdverseEventType
from apps.treatments.models import Dose, TreatmentSite, Visit
from tests.factories import (
    AdverseEventFactory,
    AdverseEventTypeFactory,
    DoseFactory,
    LocationFactory,
    LotFactory,
    OutcomeAssessmentFactory,
    PatientFactory,
    TreatmentSiteFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db

TIMEPOINTS = [tp for tp, _ in Timepoint.choices]


class Clinic:
    """A small clinic and the random writes made to it."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.patients = [PatientFactory() for _ in range(3)]
        self.sites = [
            TreatmentSiteFactory(name="Knee"),
            TreatmentSiteFactory(name="Achilles", category=TreatmentSite.Category.TENDON),
        ]
        self.lots = [LotFactory(), LotFactory()]
        self.clinicians = [UserFactory(role="clinician") for _ in range(2)]
        self.locations = [LocationFactory(), LocationFactory()]
        self.event_types = [
            AdverseEventTypeFactory(code="cold_sore", name="Cold sore"),
            AdverseEventTypeFactory(code="swelling", name="Swelling", expected_one_in=None),
        ]

    def pick(self, queryset):
        rows = list(queryset.order_by("pk"))
        return self.random.choice(rows) if rows else None

    def day(self) -> datetime.datetime:
        return timezone.now() - datetime.timedelta(days=self.random.randint(1, 400))

    # --- the writes -------------------------------------------------------------------

    def visit_with_doses(self) -> None:
        visit = VisitFactory(
            patient=self.random.choice(self.patients),
            visited_at=self.day(),
            clinician=self.random.choice(self.clinicians),
            location=self.random.choice(self.locations),
        )
        # One statement for all the visit's doses, as the visit service writes them.
        Dose.objects.bulk_create(
            Dose(
                visit=visit,
                site=self.random.choice(self.sites),
                laterality=self.random.choice(["left", "right"]),
                lot=self.random.choice(self.lots),
                billions=self.random.choice([3, 4, 5]),
                route="intra_articular",
                baseline_pain=self.random.choice([None, *range(11)]),
            )
            for _ in range(self.random.randint(1, 3))
        )

    def assessment(self) -> None:
        dose = self.pick(Dose.objects.all())
        if dose:
            OutcomeAssessmentFactory(
                dose=dose,
                timepoint=self.random.choice(TIMEPOINTS),
                assessed_on=timezone.localdate(dose.visit.visited_at)
                + datetime.timedelta(days=self.random.randint(0, 400)),
                pain=self.random.randint(0, 10),
                pgic=self.random.choice([None, *range(1, 8)]),
                percent_better=self.random.choice([None, 0, 30, 80]),
            )

    def assessments_at_once(self) -> None:
        doses = list(Dose.objects.order_by("pk")[:5])
        OutcomeAssessment.objects.bulk_create(
            OutcomeAssessment(
                dose=dose,
                timepoint=self.random.choice(TIMEPOINTS),
                assessed_on=timezone.localdate(dose.visit.visited_at)
                + datetime.timedelta(days=self.random.randint(0, 60)),
                pain=self.random.randint(0, 10),
            )
            for dose in doses
        )

    def assessment_corrected(self) -> None:
        assessment = self.pick(OutcomeAssessment.objects.all())
        if assessment:
            assessment.pain = self.random.randint(0, 10)
            assessment.timepoint = self.random.choice(TIMEPOINTS)
            assessment.assessed_on += datetime.timedelta(days=self.random.randint(-5, 5))
            assessment.save()

    def assessment_moved_to_another_dose(self) -> None:
        assessment, dose = self.pick(OutcomeAssessment.objects.all()), self.pick(Dose.objects.all())
        if assessment and dose:
            OutcomeAssessment.objects.filter(pk=assessment.pk).update(dose=dose)

    def assessment_voided(self) -> None:
        assessment = self.pick(OutcomeAssessment.objects.filter(voided_at=None))
        if assessment:
            OutcomeAssessment.objects.filter(pk=assessment.pk).update(
                voided_at=timezone.now(), void_reason="Wrong patient"
            )

    def assessment_deleted(self) -> None:
        assessment = self.pick(OutcomeAssessment.objects.all())
        if assessment:
            assessment.delete()

    def dose_corrected(self) -> None:
        dose = self.pick(Dose.objects.all())
        if dose:
            Dose.objects.filter(pk=dose.pk).update(
                baseline_pain=self.random.choice([None, *range(11)]),
                lot=self.random.choice(self.lots),
                site=self.random.choice(self.sites),
            )

    def dose_deleted(self) -> None:
        dose = self.pick(Dose.objects.all())
        if dose:
            OutcomeAssessment.objects.filter(dose=dose).delete()
            AdverseEventDose.objects.filter(dose=dose).delete()
            dose.delete()

    def visit_corrected(self) -> None:
        visit = self.pick(Visit.objects.all())
        if visit:
            Visit.objects.filter(pk=visit.pk).update(
                visited_at=self.day(),
                clinician=self.random.choice(self.clinicians),
                location=self.random.choice(self.locations),
            )

    def visit_signed_off(self) -> None:
        # Changes nothing an episode shows.
        Visit.objects.filter(pk__in=Visit.objects.order_by("?")[:2]).update(notes="Reviewed")

    def visit_voided_or_restored(self) -> None:
        visit = self.pick(Visit.objects.all())
        if visit:
            voided = None if visit.voided_at else timezone.now()
            Visit.objects.filter(pk=visit.pk).update(voided_at=voided)

    def patient_voided_or_restored(self) -> None:
        patient = self.random.choice(self.patients)
        voided = Patient.objects.get(pk=patient.pk).voided_at
        Patient.objects.filter(pk=patient.pk).update(voided_at=None if voided else timezone.now())

    def patient_birth_date_corrected(self) -> None:
        patient = self.random.choice(self.patients)
        Patient.objects.filter(pk=patient.pk).update(
            date_of_birth=datetime.date(self.random.randint(1940, 2000), 2, 28)
            + datetime.timedelta(days=self.random.randint(0, 2))
        )

    def adverse_event(self) -> None:
        visit = self.pick(Visit.objects.filter(doses__isnull=False).distinct())
        if visit:
            doses = list(visit.doses.order_by("pk"))
            AdverseEventFactory(
                visit=visit,
                event_type=self.random.choice(self.event_types),
                doses=self.random.sample(doses, self.random.randint(1, len(doses))),
            )

    def adverse_event_corrected(self) -> None:
        event = self.pick(AdverseEvent.objects.all())
        if event:
            AdverseEvent.objects.filter(pk=event.pk).update(
                event_type=self.random.choice(self.event_types)
            )

    def adverse_event_relinked(self) -> None:
        event = self.pick(AdverseEvent.objects.all())
        if event:
            AdverseEventDose.objects.filter(adverse_event=event).delete()
            dose = self.pick(event.visit.doses.all())
            if dose:
                AdverseEventDose.objects.create(adverse_event=event, dose=dose)

    def adverse_event_voided_or_restored(self) -> None:
        event = self.pick(AdverseEvent.objects.all())
        if event:
            voided = None if event.voided_at else timezone.now()
            AdverseEvent.objects.filter(pk=event.pk).update(voided_at=voided)

    def event_type_renamed(self) -> None:
        kind = self.random.choice(self.event_types)
        AdverseEventType.objects.filter(pk=kind.pk).update(
            name=f"{kind.code} {self.random.randint(1, 99)}"
        )

    def many_rows_in_one_statement(self) -> None:
        # A bulk fix in one UPDATE: every dose's baseline, then every visit moved a day.
        Dose.objects.update(baseline_pain=self.random.randint(0, 10))
        for visit in Visit.objects.all():
            Visit.objects.filter(pk=visit.pk).update(
                visited_at=visit.visited_at + datetime.timedelta(days=1)
            )

    def rolled_back(self) -> None:
        try:
            with transaction.atomic():
                self.visit_with_doses()
                self.assessment()
                raise RuntimeError("refused")
        except RuntimeError:
            pass

    WRITES = (
        (visit_with_doses, 6),
        (assessment, 8),
        (assessments_at_once, 1),
        (assessment_corrected, 3),
        (assessment_moved_to_another_dose, 1),
        (assessment_voided, 2),
        (assessment_deleted, 1),
        (dose_corrected, 2),
        (dose_deleted, 1),
        (visit_corrected, 2),
        (visit_signed_off, 1),
        (visit_voided_or_restored, 2),
        (patient_voided_or_restored, 1),
        (adverse_event, 3),
        (adverse_event_corrected, 1),
        (adverse_event_relinked, 1),
        (adverse_event_voided_or_restored, 2),
        (event_type_renamed, 1),
        (many_rows_in_one_statement, 1),
        (rolled_back, 1),
        (patient_birth_date_corrected, 1),
    )

    def write(self) -> str:
        writes, weights = zip(*self.WRITES, strict=True)
        chosen = self.random.choices(writes, weights=weights)[0]
        chosen(self)
        return chosen.__name__


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_episodes_table_equals_a_full_recomputation_after_any_writes(seed):
    clinic = Clinic(seed)
    done, seen = [], set()
    for _ in range(80):
        done.append(clinic.write())
        assert episodes_out_of_step() == (0, 0), f"out of step after {done}"
        seen |= {
            name
            for name, reached in [
                ("an outcome", Episode.objects.exclude(latest_pain=None).exists()),
                ("an adverse event", Episode.objects.exclude(adverse_events=None).exists()),
                ("a dose left out", Episode.objects.count() < Dose.objects.count()),
            ]
            if reached
        }
    # The sequence did reach the cases that matter.
    assert seen == {"an outcome", "an adverse event", "a dose left out"}


def test_an_episode_reads_as_the_reports_count_it():
    dose = DoseFactory(baseline_pain=None, visit__visited_at=timezone.now())
    visit_day = timezone.localdate(dose.visit.visited_at)
    for days, timepoint, pain in [(0, "baseline", 7), (14, "2w", 5), (15, "2w", 4), (50, "6w", 2)]:
        OutcomeAssessmentFactory(
            dose=dose,
            timepoint=timepoint,
            pain=pain,
            assessed_on=visit_day + datetime.timedelta(days=days),
        )
    AdverseEventFactory(
        visit=dose.visit, event_type=AdverseEventTypeFactory(code="swelling", name="Swelling")
    )
    AdverseEventFactory(visit=dose.visit)

    episode = Episode.objects.get(dose_id=dose.pk)

    assert (episode.baseline_pain, episode.pain_2w, episode.pain_6w) == (7, 4, 2)
    assert (episode.latest_timepoint, episode.latest_pain) == ("6w", 2)
    assert episode.last_assessed_on == visit_day + datetime.timedelta(days=50)
    assert episode.adverse_events == "Cold sore / HSV reactivation;Swelling"
    Visit.objects.filter(pk=dose.visit_id).update(voided_at=timezone.now())
    assert not Episode.objects.filter(dose_id=dose.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_with_the_triggers_off_is_rebuilt_before_it_commits():
    DoseFactory()
    with transaction.atomic():
        defer_episodes()
        DoseFactory()
        assert episodes_out_of_step() == (0, 1)
        assert rebuild_episodes() == 2
    assert episodes_out_of_step() == (0, 0)
    # The switch ends with the transaction.
    DoseFactory()
    assert Episode.objects.count() == 3


def test_the_rebuild_command_checks_and_repairs():
    dose = DoseFactory(baseline_pain=6)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE reports_episode SET baseline_pain = 1")

    with pytest.raises(CommandError, match=r"1 rows kept .* 1 rows it gives"):
        call_command("rebuild_episodes", "--check")
    call_command("rebuild_episodes")

    call_command("rebuild_episodes", "--check")
    assert Episode.objects.get(dose_id=dose.pk).baseline_pain == 6


def _figures(filters):
    summary = selectors._summary(filters)
    return (
        summary.episodes,
        [(p.category, p.timepoint, p.n, p.mean, p.low, p.high) for p in summary.mean_pain],
        summary.responders_by_category,
        summary.responders_by_product,
        summary.adverse_events_by_lot,
    )


@pytest.mark.parametrize("seed", [5, 6])
def test_figures_from_the_totals_equal_figures_from_the_episodes(seed, monkeypatch):
    """Whole months from the totals and the days either side from the episodes add up to
    what the episodes alone give, for any period, in the clinic's time zone."""
    clinic = Clinic(seed)
    for _ in range(60):
        clinic.write()
    today = timezone.localdate()
    periods = [(None, None), (None, today - datetime.timedelta(days=100))]
    for _ in range(12):
        start = today - datetime.timedelta(days=clinic.random.randint(0, 420))
        periods.append((start, start + datetime.timedelta(days=clinic.random.randint(0, 200))))
        periods.append((start, None))
    filter_sets = [
        {"site_category": "joint"},
        {"lot_id": clinic.lots[0].pk},
        {"product_id": clinic.lots[1].product_id},
        {"clinician_id": clinic.clinicians[0].pk},
        {"location_id": clinic.locations[1].pk},
        {"site_id": clinic.sites[1].pk},
        {},
    ]
    read_from_totals = []
    for start, end in periods:
        for more in filter_sets:
            filters = ReportFilters(date_from=start, date_to=end, **more)
            split = selectors._split(filters, filters.params(), rule_is_current=True)
            read_from_totals.append(split.totals is not None)
            figures = _figures(filters)
            with monkeypatch.context() as patched:
                patched.setattr(selectors, "_rule_is_current", lambda cursor: False)
                assert figures == _figures(filters), (start, end, more)
    assert any(read_from_totals)


def test_another_responder_rule_in_the_settings_counts_from_the_episodes(settings):
    for baseline, pain in [(8, 6), (8, 5), (10, 7)]:
        OutcomeAssessmentFactory(dose=DoseFactory(baseline_pain=baseline), pain=pain)
    assert report_summary(filters=ReportFilters()).responders_by_category[0].events == 3

    settings.OUTCOME_RESPONDER_MIN_POINTS = 3
    settings.OUTCOME_RESPONDER_MIN_PERCENT = 100
    # Before the rebuild (the totals counted 2 points or 30 %) and after it alike.
    assert report_summary(filters=ReportFilters()).responders_by_category[0].events == 2
    rebuild_episodes()
    assert ResponderRule.objects.get().min_points == 3
    assert report_summary(filters=ReportFilters()).responders_by_category[0].events == 2
