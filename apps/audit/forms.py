from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from apps.audit.models import AccessLog
from exotrack.dates import ClinicDateField

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AccessLogFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"), required=False, label="Staff"
    )
    patient = forms.CharField(required=False, label="Patient MRN", max_length=20)
    action = forms.ChoiceField(
        required=False, choices=[("", "Any"), *AccessLog.Action.choices], label="Action"
    )
    date_from = ClinicDateField(required=False, widget=_DATE, label="From")
    date_to = ClinicDateField(required=False, widget=_DATE, label="To")

    def clean_patient(self) -> str:
        return self.cleaned_data["patient"].strip().upper()

    def clean(self) -> dict[str, Any]:
        # Django's clean answers cleaned_data (typed as maybe None, for overrides that
        # answer nothing).
        super().clean()
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return self.cleaned_data
