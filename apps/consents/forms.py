from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from apps.consents.models import ConsentVersion, PhotoUse
from apps.consents.rendering import PLACEHOLDERS
from apps.inventory.models import Product
from apps.treatments.models import TreatmentSite

_PLACEHOLDER_HELP = "Placeholders filled in when the patient reads it: " + "; ".join(
    f"{{{name}}} {meaning}" for name, meaning in PLACEHOLDERS.items()
)


class ConsentVersionForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Text the patient reads",
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Plain text, or Markdown: # headings, **bold**, *italic*, - lists. "
        + _PLACEHOLDER_HELP
        + ".",
    )
    site_categories = forms.MultipleChoiceField(
        label="Treatment sites it covers",
        choices=TreatmentSite.Category.choices,
        widget=forms.CheckboxSelectMultiple,
    )


class SigningChoiceForm(forms.Form):
    """Which form (and product) the patient is about to read."""

    version: "forms.ModelChoiceField[ConsentVersion]" = forms.ModelChoiceField(
        label="Consent form", queryset=None, empty_label=None
    )
    product: "forms.ModelChoiceField[Product]" = forms.ModelChoiceField(
        label="Product",
        queryset=None,
        required=False,
        empty_label="Not named on the form",
        help_text="Its name and regulatory status fill the form's placeholders.",
    )

    def __init__(
        self,
        *args: Any,
        versions: QuerySet[ConsentVersion],
        products: QuerySet[Product],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # self.fields is typed as holding plain Fields: these are the ones declared above.
        cast("forms.ModelChoiceField[ConsentVersion]", self.fields["version"]).queryset = versions
        cast("forms.ModelChoiceField[Product]", self.fields["product"]).queryset = products


class SignatureForm(forms.Form):
    photo_use = forms.ChoiceField(
        label="Photos of me may be used for",
        choices=PhotoUse.choices,
        widget=forms.RadioSelect,
    )
    signed_name = forms.CharField(label="Type your full name", max_length=200)
    # Filled by the signature pad's script with the canvas as a PNG data URL.
    signature = forms.CharField(required=False, widget=forms.HiddenInput)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Reason for withdrawal", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
