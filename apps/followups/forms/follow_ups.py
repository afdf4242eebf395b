"""Forms of the staff's work on follow-ups: add, complete, reschedule, cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms

from apps.followups.models import Channel
from apps.followups.services.scheduling import MANUAL_KINDS
from exotrack.dates import ClinicDateField

if TYPE_CHECKING:
    from apps.treatments.models import TreatmentSite

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FollowUpAddForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k.value, k.label) for k in MANUAL_KINDS])
    due_on = ClinicDateField(label="Due on", widget=_DATE)
    channel = forms.ChoiceField(
        choices=Channel.choices,
        initial=Channel.EMAIL,
        help_text="Patients without e-mail consent or a valid address get a staff call.",
    )
    site: forms.ModelChoiceField[TreatmentSite] = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Treated site",
        help_text="Repeat sessions only: the next visit to this site supersedes it.",
    )
    note = forms.CharField(label="Why", max_length=500, required=False, widget=forms.TextInput())

    def __init__(self, *args, sites, **kwargs) -> None:
        """`sites` None: the reader sees no clinical detail, so no site is offered."""
        super().__init__(*args, **kwargs)
        if sites is None:
            del self.fields["site"]
        else:
            cast(forms.ModelChoiceField, self.fields["site"]).queryset = sites


class FollowUpCompleteForm(forms.Form):
    note = forms.CharField(label="What came of it", max_length=1000)


class FollowUpRescheduleForm(forms.Form):
    due_on = ClinicDateField(label="New day", widget=_DATE)
    note = forms.CharField(label="Why", max_length=500, required=False)


class FollowUpCancelForm(forms.Form):
    reason = forms.CharField(label="Why cancel", max_length=500)
