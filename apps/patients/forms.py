from typing import cast

from django import forms
from django.utils import timezone

from apps.clinic.selectors import active_locations
from apps.patients.models import CLINICAL_FIELDS, Medication, MedicationClass, Patient
from apps.patients.selectors import may_see_clinical, medication_classes
from apps.patients.services import IDENTITY_FIELDS
from exotrack.dates import BIRTH_DATE, START_DATE, ClinicDateField

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PatientForm(forms.ModelForm):
    """Identity and contact for everyone; the risk profile only for staff who may see it."""

    confirm_duplicate = forms.BooleanField(
        required=False, widget=forms.HiddenInput, label="Register anyway"
    )

    class Meta:
        model = Patient
        fields = [*IDENTITY_FIELDS, *CLINICAL_FIELDS]
        widgets = {
            "date_of_birth": _DATE,
            "immunocompromised_note": forms.Textarea(attrs={"rows": 2}),
            "allergies": forms.Textarea(attrs={"rows": 2}),
            "conditions": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["preferred_location"]
        ).queryset = active_locations()
        self.fields["date_of_birth"].validators.append(BIRTH_DATE)
        if not may_see_clinical(user):
            for name in CLINICAL_FIELDS:
                del self.fields[name]
        if self.instance.pk:
            # Only a new registration is checked for duplicates.
            del self.fields["confirm_duplicate"]

    def patient_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "confirm_duplicate"}


class PatientVoidForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. registered twice; the other record is EX0000123.",
    )


class MedicationForm(forms.ModelForm):
    class Meta:
        model = Medication
        fields = ["name", "medication_class", "dose_text", "started_on"]
        widgets = {"started_on": _DATE}
        labels = {"medication_class": "Class"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(
            forms.ModelChoiceField, self.fields["medication_class"]
        ).queryset = medication_classes()
        self.fields["started_on"].validators.append(START_DATE)


class MedicationStopForm(forms.Form):
    stopped_on = ClinicDateField(widget=_DATE, label="Stopped on")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stopped_on"].initial = timezone.localdate()


class MedicationClassForm(forms.ModelForm):
    # A flag nobody must review for a year is no flag; one due the same day is noise.
    review_within_days = forms.IntegerField(
        label="Review within (days)",
        min_value=1,
        max_value=365,
        help_text="How soon a clinician reviews an adjustment flag for this class.",
    )

    class Meta:
        model = MedicationClass
        fields = ["name", "watched", "review_within_days", "guidance", "flag_reason"]
        labels = {
            "watched": "Raise an adjustment flag after each visit",
        }
        widgets = {
            "guidance": forms.Textarea(attrs={"rows": 3}),
            "flag_reason": forms.Textarea(attrs={"rows": 3}),
        }
