"""Outcome assessments. An episode is one treated site of one visit: a Dose. Its
baseline is the pain score taken on the visit form (Dose.baseline_pain)."""

import pghistory
from django.db import models
from django.db.models import Q

from exotrack.models import Recorded, Voidable


class Timepoint(models.TextChoices):
    BASELINE = "baseline", "Baseline"
    WEEK_2 = "2w", "2 weeks"
    WEEK_6 = "6w", "6 weeks"
    MONTH_3 = "3m", "3 months"
    MONTH_6 = "6m", "6 months"
    MONTH_12 = "12m", "12 months"
    OTHER = "other", "Other"


class RegionInstrument(models.TextChoices):
    """Region scores as 0-100, chosen by the site's category."""

    NONE = "", "None"
    KOOS = "koos", "KOOS (knee)"
    QUICKDASH = "quickdash", "QuickDASH (shoulder, arm, hand)"
    FACE_Q = "face_q", "FACE-Q (face)"


@pghistory.track()
class OutcomeAssessment(Recorded, Voidable):
    class Source(models.TextChoices):
        STAFF = "staff", "Staff"
        SELF_REPORT = "self_report", "Patient self-report"

    dose = models.ForeignKey(
        "treatments.Dose", on_delete=models.PROTECT, related_name="assessments"
    )
    assessed_on = models.DateField()
    timepoint = models.CharField(max_length=10, choices=Timepoint.choices)
    pain = models.PositiveSmallIntegerField("pain (0-10)")
    pgic = models.PositiveSmallIntegerField(
        "global impression of change (1-7)", null=True, blank=True
    )
    percent_better = models.PositiveSmallIntegerField(null=True, blank=True)
    region_instrument = models.CharField(
        max_length=10, choices=RegionInstrument.choices, blank=True, default=""
    )
    region_score = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.STAFF)
    follow_up = models.ForeignKey(
        "followups.FollowUp",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessments",
    )

    class Meta:
        ordering = ["dose", "assessed_on", "id"]
        indexes = [
            models.Index(fields=["dose", "assessed_on"], name="assessment_dose_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(pain__lte=10), name="assessment_pain_0_10"),
            models.CheckConstraint(
                condition=Q(pgic__isnull=True) | (Q(pgic__gte=1) & Q(pgic__lte=7)),
                name="assessment_pgic_1_7",
            ),
            models.CheckConstraint(
                condition=Q(percent_better__isnull=True) | Q(percent_better__lte=100),
                name="assessment_percent_0_100",
            ),
            models.CheckConstraint(
                condition=Q(region_score__isnull=True)
                | (Q(region_score__gte=0) & Q(region_score__lte=100) & ~Q(region_instrument="")),
                name="assessment_region_score_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_timepoint_display()} on {self.assessed_on:%Y-%m-%d}"
