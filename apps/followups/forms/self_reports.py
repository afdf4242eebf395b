"""The patient's self-report form: the same score questions staff ask (from the outcomes
forms), in the patient's words, four yes/no questions and, when their consent allows
photos, a photo of the treated area."""

from django import forms

from apps.followups.services.self_reports import SelfReportAnswers
from apps.outcomes.forms import pain_field, percent_better_field, pgic_field

_YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=_YES_NO,
        coerce=lambda answer: answer == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"required": "Please answer yes or no."},
    )


class SelfReportForm(forms.Form):
    pain = pain_field(required=True, label="How much pain do you have now, from 0 to 10?")
    pgic = pgic_field(
        widget=forms.RadioSelect,
        label="Compared with before the treatment, how do you feel?",
    )
    percent_better = percent_better_field(label="How much better do you feel, in percent (0-100)?")
    cold_sore = _yes_no("Have you had a cold sore since the treatment?")
    wound_signs = _yes_no("Is there redness, warmth or pus where you were injected?")
    fever = _yes_no("Have you had a fever?")
    dizziness = _yes_no("Do you feel dizzy when you stand up?")

    photo = forms.FileField(
        label="A photo of the treated area (optional)",
        required=False,
        help_text="Take it in good light, from the same side as at the clinic. "
        "Location data is removed before it is kept.",
        # Any picture the phone offers: the clinic checks what it really is.
        widget=forms.FileInput(attrs={"accept": "image/*,.heic,.heif"}),
    )

    def __init__(self, *args, photos_allowed: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pain"].error_messages["required"] = "Please give a number from 0 to 10."
        self.fields["pgic"].error_messages["required"] = "Please choose one answer."
        self.fields["percent_better"].help_text = "Leave it empty if you are not sure."
        if not photos_allowed:
            del self.fields["photo"]

    def answers(self) -> SelfReportAnswers:
        return SelfReportAnswers(
            **{name: value for name, value in self.cleaned_data.items() if name != "photo"}
        )


class SelfReportDismissForm(forms.Form):
    note = forms.CharField(
        label="Why nothing is recorded",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. Called the patient: redness settled the next day.",
    )
