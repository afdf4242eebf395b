"""Forms of the recall actions on the lot page."""

from django import forms


class LotRecallForm(forms.Form):
    """A manager withdraws a lot for good (quarantine and release have their own form).

    Prefixed: the lot page holds other forms with a reason field."""

    prefix = "recall"

    reason = forms.CharField(
        label="Reason for the recall",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. the manufacturer's recall notice, a failed sterility test.",
    )
