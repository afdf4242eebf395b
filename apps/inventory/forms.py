from decimal import Decimal

from django import forms
from django.utils import timezone

from apps.inventory.models import Lot, Manufacturer, Product
from apps.inventory.selectors import products
from apps.inventory.services import MAX_VIALS_PER_MOVEMENT
from exotrack.dates import ClinicDateField

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ManufacturerForm(forms.ModelForm):
    class Meta:
        model = Manufacturer
        fields = ["name", "contact", "website"]
        widgets = {"contact": forms.Textarea(attrs={"rows": 3})}


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = [
            "manufacturer",
            "name",
            "gtin",
            "regulatory_status",
            "storage_min_celsius",
            "storage_max_celsius",
        ]
        labels = {
            "storage_min_celsius": "Store at least at (°C)",
            "storage_max_celsius": "Store at most at (°C)",
        }


class ScanForm(forms.Form):
    barcode = forms.CharField(
        label="Scan the vial barcode",
        strip=False,  # the GS separators between fields are part of the code
        help_text="Scan the DataMatrix on a vial, or type the code as printed, "
        "e.g. (01)09506000134352(17)270131(10)ABC123.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class LotReceiveForm(forms.Form):
    product = forms.ModelChoiceField(queryset=products())
    lot_number = forms.CharField(max_length=40)
    expiry_date = ClinicDateField(widget=_DATE)
    received_on = ClinicDateField(widget=_DATE, initial=timezone.localdate)
    vials_received = forms.IntegerField(min_value=1, max_value=MAX_VIALS_PER_MOVEMENT)
    labelled_billions_per_vial = forms.DecimalField(
        label="Labelled billions of particles per vial",
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="As printed by the manufacturer.",
    )
    measured_billions_per_vial = forms.DecimalField(
        label="Measured billions of particles per vial",
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="From an independent measurement (e.g. NTA), if there is one.",
    )
    measured_source = forms.CharField(
        max_length=200, required=False, help_text=Lot._meta.get_field("measured_source").help_text
    )
    storage_location = forms.CharField(max_length=120, required=False)


class LotEditForm(forms.ModelForm):
    class Meta:
        model = Lot
        fields = ["measured_billions_per_vial", "measured_source", "storage_location"]


class StockChangeForm(forms.Form):
    KIND_CHOICES = [("wasted", "Waste vials"), ("adjusted", "Correct the count")]

    kind = forms.ChoiceField(choices=KIND_CHOICES, label="What happened")
    vials = forms.IntegerField(
        min_value=-MAX_VIALS_PER_MOVEMENT,
        max_value=MAX_VIALS_PER_MOVEMENT,
        help_text="For waste, how many vials. For a correction, + vials found or - vials missing.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class LotStatusForm(forms.Form):
    """Managers quarantine a lot or release it; a recall has its own procedure."""

    status = forms.ChoiceField(
        choices=[(Lot.Status.QUARANTINED, "Quarantine"), (Lot.Status.AVAILABLE, "Release")]
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
