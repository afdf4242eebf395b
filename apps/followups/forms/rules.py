"""The manager's follow-up rule form. The rule service checks the rules again, so a
form and the seed file agree."""

from typing import Any

from django import forms

from apps.followups.models import FollowUpRule
from apps.followups.services.rules import (
    REMINDER_TEMPLATES,
    RULE_FIELDS,
    RULE_KINDS,
    followup_rule_errors,
)
from apps.treatments.models import TreatmentSite


class FollowUpRuleForm(forms.ModelForm):
    kind = forms.ChoiceField(choices=[(k.value, k.label) for k in RULE_KINDS])
    site_categories = forms.MultipleChoiceField(
        choices=TreatmentSite.Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Treated site categories",
        help_text="None ticked: every category.",
    )
    template = forms.ChoiceField(
        choices=[(t, t.replace("_", " ").capitalize()) for t in REMINDER_TEMPLATES],
        label="Reminder e-mail",
    )

    class Meta:
        model = FollowUpRule
        fields = list(RULE_FIELDS)
        labels = {
            "offset_days": "Days after the visit",
            "interval_days": "Days between sessions",
        }
        help_texts = {"code": "A short name for the seed file; it cannot change later."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The seed finds the rule by its code: it stays as it is.
            self.fields["code"].disabled = True

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        draft = FollowUpRule(**{name: data.get(name) for name in self.Meta.fields})
        draft.site_categories = data.get("site_categories") or []
        draft.repeat = data.get("repeat") or ""
        for name, message in followup_rule_errors(draft).items():
            # A field that failed its own check already says why.
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)
        return data
