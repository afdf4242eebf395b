"""Forms of the medication-flag pages."""

from django import forms

from apps.patients.models import MedicationClass
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

    medication = forms.ModelChoiceField(queryset=None)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, medications, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["medication"].queryset = medications


class FlagResolveForm(forms.Form):
    action = forms.ChoiceField(
        label="Action taken", choices=[("", "Choose…"), *MedicationFlag.Action.choices]
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. what the prescriber said, the new dose.",
    )
