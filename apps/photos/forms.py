from django import forms
from django.utils import timezone


class PhotoForm(forms.Form):
    dose = forms.ModelChoiceField(label="Treated site", queryset=None, empty_label=None)
    taken_on = forms.DateField(
        label="Taken on", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    view = forms.CharField(
        label="View",
        max_length=60,
        required=False,
        help_text="e.g. front, left profile: take follow-ups from the same view.",
    )
    upload = forms.FileField(
        label="Photo",
        help_text="Take it with the camera or choose a file: JPEG, PNG, WebP or HEIC.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, doses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dose"].queryset = doses
        self.fields["dose"].label_from_instance = lambda dose: (
            f"{dose.site.name} ({dose.get_laterality_display().lower()})"
            if dose.site.laterality_applies
            else dose.site.name
        )


class PhotoVoidForm(forms.Form):
    reason = forms.CharField(
        label="Reason for voiding", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
