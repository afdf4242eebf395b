"""Forms of the adverse-event pages. They check shapes; the service checks the clinic's
rules and its messages are put next to the fields they name."""

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from apps.safety.models import (
    AdverseEvent,
    AdverseEventOutcome,
    AdverseEventType,
    Causality,
    Challenge,
    Seriousness,
)
from apps.safety.services.adverse_events import DETAIL_FIELDS
from apps.treatments.models import Dose, Laterality
from exotrack.dates import ClinicDateField

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_GRADES = AdverseEvent._meta.get_field("grade").flatchoices


def dose_label(dose: Dose) -> str:
    side = (
        f" ({dose.get_laterality_display().lower()})"
        if dose.laterality != Laterality.NOT_APPLICABLE
        else ""
    )
    return (
        f"{dose.site.name}{side}: {dose.billions} bn of {dose.lot.product.name}, "
        f"lot {dose.lot.lot_number}"
    )


class AdverseEventForm(forms.Form):
    doses = forms.TypedMultipleChoiceField(
        coerce=int,
        label="Doses it follows",
        widget=forms.CheckboxSelectMultiple,
        help_text="The treated sites of this visit the event is attributed to.",
        error_messages={"required": "Link at least one dose of the visit."},
    )
    event_type: "forms.ModelChoiceField[AdverseEventType]" = forms.ModelChoiceField(
        queryset=None, label="Type of event", empty_label="Choose a type"
    )
    description = forms.CharField(
        max_length=200, required=False, help_text="What happened, when the type is 'Other'."
    )
    onset_date = ClinicDateField(label="Onset", widget=_DATE)
    resolution_date = ClinicDateField(label="Resolved on", widget=_DATE, required=False)
    grade = forms.TypedChoiceField(
        coerce=int, choices=[("", "Choose a grade"), *_GRADES], label="CTCAE grade"
    )
    seriousness = forms.MultipleChoiceField(
        choices=Seriousness.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Seriousness (FDA criteria met)",
        help_text="Tick none for a non-serious event.",
    )
    outcome = forms.ChoiceField(
        choices=AdverseEventOutcome.choices, initial=AdverseEventOutcome.UNKNOWN
    )
    causality = forms.ChoiceField(choices=Causality.choices, initial=Causality.UNASSESSED)
    action_taken = forms.CharField(
        max_length=200,
        required=False,
        help_text="e.g. valacyclovir, antibiotics, medication changed",
    )
    abated_on_stopping = forms.ChoiceField(
        choices=Challenge.choices,
        initial=Challenge.UNKNOWN,
        label="Abated when the product was stopped",
    )
    recurred_on_reintroduction = forms.ChoiceField(
        choices=Challenge.choices,
        initial=Challenge.UNKNOWN,
        label="Recurred when it was given again",
    )
    weight_kg = forms.DecimalField(
        label="Weight (kg) at the event", max_digits=5, decimal_places=1, required=False
    )
    narrative = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="Required for a serious event: what happened, what was done, how it ended.",
    )
    reported_to_manufacturer_on = ClinicDateField(
        label="Reported to the manufacturer on", widget=_DATE, required=False
    )
    manufacturer_reference = forms.CharField(
        label="Manufacturer's reference", max_length=80, required=False
    )
    reported_to_fda_on = ClinicDateField(label="Reported to FDA on", widget=_DATE, required=False)
    fda_reference = forms.CharField(label="FDA reference", max_length=80, required=False)

    def __init__(
        self,
        *args: Any,
        doses: list[Dose],
        event_types: QuerySet[AdverseEventType],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # self.fields is typed as holding plain Fields: these are the ones declared above.
        cast(forms.ChoiceField, self.fields["doses"]).choices = [
            (dose.pk, dose_label(dose)) for dose in doses
        ]
        cast(
            "forms.ModelChoiceField[AdverseEventType]", self.fields["event_type"]
        ).queryset = event_types

    def details(self) -> dict:
        """The service's keyword arguments for what the form describes."""
        return {name: self.cleaned_data[name] for name in DETAIL_FIELDS}


class AdverseEventVoidForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. recorded against the wrong patient",
    )


class AdverseEventFilterForm(forms.Form):
    event_type: "forms.ModelChoiceField[AdverseEventType]" = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Any type"
    )
    serious = forms.TypedChoiceField(
        choices=[("", "Serious or not"), ("yes", "Serious only"), ("no", "Not serious")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
    )
    grade = forms.TypedChoiceField(
        coerce=int, choices=[("", "Any grade"), *_GRADES], empty_value=None, required=False
    )
    lot = forms.CharField(label="Lot number", max_length=40, required=False)
    onset_from = ClinicDateField(label="Onset from", required=False, widget=_DATE)
    onset_to = ClinicDateField(label="Onset to", required=False, widget=_DATE)

    def __init__(self, *args: Any, event_types: QuerySet[AdverseEventType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            "forms.ModelChoiceField[AdverseEventType]", self.fields["event_type"]
        ).queryset = event_types


class AdverseEventTypeForm(forms.Form):
    """A manager's change of one type: its expected rate and whether it is in use."""

    expected_one_in = forms.IntegerField(
        label="Expected rate: 1 in",
        min_value=1,
        max_value=2_000_000_000,
        required=False,
        help_text="Exposures per expected event. Blank: no safety signal is tested.",
    )
    exposure = forms.ChoiceField(label="Counted per", choices=AdverseEventType.Exposure.choices)
    active = forms.BooleanField(
        label="Staff may choose it", required=False, help_text="Retired types stay on old events."
    )
