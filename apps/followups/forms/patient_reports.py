from django import forms


class PatientReportDismissForm(forms.Form):
    note = forms.CharField(
        label="Why nothing is recorded",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. Called the patient: redness settled the next day.",
    )
