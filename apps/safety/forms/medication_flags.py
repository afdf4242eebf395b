"""Forms of the medication-flag pages."""

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from apps.patients.models import Medication, MedicationClass
from apps.safety.models import MedicationFlag


class FlagFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "To review"),
            (MedicationFlag.Status.OPEN, "Open"),
            (MedicationFlag.Status.ACKNOWLEDGED, "Acknowledged"),
            (MedicationFlag.Status.RESOLVED, "Resolved"),
        ],
    )
    medication_class = forms.ModelChoiceField(
        required=False,
        queryset=MedicationClass.objects.order_by("name"),
        empty_label="Any class",
        label="Class",
    )


class FlagRaiseForm(forms.Form):
    """Staff raise a flag for one of the patient's medications."""

    medication: "forms.ModelChoiceField[Medication]" = forms.ModelChoiceField(queryset=None)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, medications: QuerySet[Medication], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # self.fields is typed as holding plain Fields: this is the one declared above.
        cast("forms.ModelChoiceField[Medication]", self.fields["medication"]).queryset = medications


class FlagResolveForm(forms.Form):
    action = forms.ChoiceField(
        label="Action taken", choices=[("", "Choose…"), *MedicationFlag.Action.choices]
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. what the prescriber said, the new dose.",
    )
