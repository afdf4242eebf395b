"""Outcome forms. The score fields are made here once and reused by the patients' own
self-report page, so staff and patients answer the same questions the same way.

Ranges are checked by the service (one message per field, the same in the API); the
inputs carry min/max so phones show a number pad and browsers hint the range."""

from django import forms
from django.utils import timezone

from apps.outcomes.models import RegionInstrument
from apps.outcomes.rules import region_instrument
from apps.outcomes.services import EpisodeAnswers
from apps.treatments.models import Dose
from exotrack.dates import ClinicDateField

PGIC_CHOICES = [
    (1, "1 · Very much improved"),
    (2, "2 · Much improved"),
    (3, "3 · Minimally improved"),
    (4, "4 · No change"),
    (5, "5 · Minimally worse"),
    (6, "6 · Much worse"),
    (7, "7 · Very much worse"),
]


def _number(low: int, high: int) -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": low, "max": high, "inputmode": "numeric"})


def pain_field(*, required: bool, label: str = "Pain now (0-10)") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        widget=_number(0, 10),
        help_text="0 is no pain, 10 the worst pain imaginable.",
    )


def pgic_field(
    *, widget=None, label: str = "Global impression of change"
) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=[("", "Not asked"), *PGIC_CHOICES] if widget is None else PGIC_CHOICES,
        coerce=int,
        empty_value=None,
        required=widget is not None,
        widget=widget or forms.Select,
    )


def percent_better_field(*, label: str = "Percent better (0-100)") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        widget=_number(0, 100),
        help_text='As the patient says it: "my shoulder is 25 % better".',
    )


class AssessmentDayForm(forms.Form):
    assessed_on = ClinicDateField(
        label="Day of the assessment",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class EpisodeForm(forms.Form):
    """The scores of one treated site. The region score appears only for a site that
    keeps one (KOOS, QuickDASH or FACE-Q)."""

    pain = pain_field(required=False)
    pgic = pgic_field()
    percent_better = percent_better_field()
    region_score = forms.DecimalField(
        max_digits=5,
        decimal_places=1,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.1"}),
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, dose: Dose, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.dose = dose
        instrument = region_instrument(dose.site)
        if instrument == RegionInstrument.NONE:
            del self.fields["region_score"]
        else:
            label = RegionInstrument(instrument).label.split(" (")[0]
            self.fields["region_score"].label = f"{label} score (0-100)"

    def is_blank(self) -> bool:
        return not any(value not in (None, "") for value in self.cleaned_data.values())

    def answers(self) -> EpisodeAnswers:
        data = self.cleaned_data
        return EpisodeAnswers(
            dose=self.dose,
            pain=data.get("pain"),
            pgic=data.get("pgic"),
            percent_better=data.get("percent_better"),
            region_score=data.get("region_score"),
            notes=data.get("notes", ""),
        )


class AssessmentVoidForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), help_text="Why this assessment is voided."
    )
