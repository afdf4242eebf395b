from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from apps.treatments.models import Dose


class TreatedSiteChoiceField(forms.ModelChoiceField):
    """A choice among a visit's doses, each shown by its site (and side where it has one)."""

    def label_from_instance(self, obj: Dose) -> str:
        return (
            f"{obj.site.name} ({obj.get_laterality_display().lower()})"
            if obj.site.laterality_applies
            else obj.site.name
        )


def _view_field() -> forms.CharField:
    return forms.CharField(
        label="View",
        max_length=60,
        required=False,
        help_text="e.g. front, left profile: take follow-ups from the same view.",
    )


class PhotoForm(forms.Form):
    dose = TreatedSiteChoiceField(label="Treated site", queryset=None, empty_label=None)
    taken_on = forms.DateField(
        label="Taken on", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    view = _view_field()
    upload = forms.FileField(
        label="Photo",
        help_text="Take it with the camera or choose a file: JPEG, PNG, WebP or HEIC.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, doses: QuerySet[Dose], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # self.fields is typed as holding plain Fields: this is the one declared above.
        cast(TreatedSiteChoiceField, self.fields["dose"]).queryset = doses


class PhotoVoidForm(forms.Form):
    reason = forms.CharField(
        label="Reason for voiding", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class SentPhotoAcceptForm(forms.Form):
    """Accept a photo a patient sent: the treated site it shows (the patient names none)."""

    dose = TreatedSiteChoiceField(label="Treated site it shows", queryset=None, empty_label=None)
    view = _view_field()

    def __init__(self, *args: Any, doses: QuerySet[Dose], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(TreatedSiteChoiceField, self.fields["dose"]).queryset = doses


class SentPhotoRejectForm(forms.Form):
    reason = forms.CharField(
        label="Why it is not taken into the record",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="e.g. Blurred; or it shows another area. The patient is not told.",
        error_messages={"required": "Say why the photo is not taken into the record."},
    )
