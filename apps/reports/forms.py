"""The filter form of the reports page (also read from the query string of the exports
and the API), and the export options on top of it."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from apps.accounts.forms import ClinicianChoiceField
from apps.clinic.models import Location
from apps.inventory.models import Lot, Product
from apps.reports.exports import ExportOptions
from apps.reports.filters import ReportFilters
from apps.treatments.models import TreatmentSite
from exotrack.dates import ClinicDateField
from exotrack.roles import CLINICIAN

IDENTIFIED = "identified"
DEIDENTIFIED = "deidentified"
# The same rows either way; the second starts with the byte-order mark Excel needs.
PLAIN_CSV = "utf-8"
EXCEL_CSV = "utf-8-bom"
CSV_FILES = [(PLAIN_CSV, "CSV (UTF-8)"), (EXCEL_CSV, "CSV for Excel (UTF-8 with BOM)")]


class ListSelect(forms.Select):
    """Django's <select>, written without a template per option: the lot list has a few
    hundred, and rendering each through the option template cost the reports page more
    than its figures."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        options = []
        for _group, choices, _index in widget["optgroups"]:
            for option in choices:
                selected = " selected" if option["selected"] else ""
                options.append(
                    format_html(
                        '<option value="{}"{}>{}</option>',
                        option["value"],
                        selected,
                        option["label"],
                    )
                )
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe("".join(options)),  # noqa: S308 - each option built by format_html
        )


class LotChoiceField(forms.ModelChoiceField):
    """A choice among lots, each shown by product and lot number."""

    def label_from_instance(self, obj: Lot) -> str:
        return f"{obj.product.name} {obj.lot_number}"


class ReportFilterForm(forms.Form):
    date_from = ClinicDateField(
        required=False, label="Visits from", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = ClinicDateField(
        required=False, label="Visits to", widget=forms.DateInput(attrs={"type": "date"})
    )
    site_category = forms.ChoiceField(
        required=False,
        label="Site category",
        choices=[("", "Any category"), *TreatmentSite.Category.choices],
    )
    site = forms.ModelChoiceField(
        required=False,
        queryset=TreatmentSite.objects.order_by("name"),
        empty_label="Any site",
        widget=ListSelect,
    )
    product = forms.ModelChoiceField(
        required=False,
        queryset=Product.objects.select_related("manufacturer"),
        empty_label="Any product",
        widget=ListSelect,
    )
    lot = LotChoiceField(
        required=False,
        queryset=Lot.objects.select_related("product").order_by("product__name", "lot_number"),
        empty_label="Any lot",
        widget=ListSelect,
    )
    clinician = ClinicianChoiceField(
        required=False,
        queryset=get_user_model()
        .objects.filter(groups__name=CLINICIAN)
        .order_by("last_name", "first_name", "id"),
        empty_label="Any clinician",
        widget=ListSelect,
    )
    location = forms.ModelChoiceField(
        required=False,
        queryset=Location.objects.order_by("name"),
        empty_label="Any location",
        widget=ListSelect,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end of the period is before its start.")
        return data

    def filters(self) -> ReportFilters:
        data = self.cleaned_data

        def pk(name: str) -> int | None:
            return data[name].pk if data.get(name) else None

        return ReportFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            site_category=data.get("site_category") or "",
            site_id=pk("site"),
            product_id=pk("product"),
            lot_id=pk("lot"),
            clinician_id=pk("clinician"),
            location_id=pk("location"),
        )


class ExportForm(ReportFilterForm):
    mode = forms.ChoiceField(
        required=False,
        choices=[(DEIDENTIFIED, "De-identified"), (IDENTIFIED, "Identified")],
        initial=DEIDENTIFIED,
    )
    shift_days = forms.IntegerField(
        required=False,
        min_value=0,
        label="Shift each patient's dates by up to (days)",
        help_text="De-identified only: 0 keeps the real dates.",
    )
    encoding = forms.ChoiceField(required=False, choices=CSV_FILES, initial=PLAIN_CSV)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Read per form, so the setting (or a test's override) applies at once.
        most = settings.REPORTS_DATE_SHIFT_MAX_DAYS
        self.fields["shift_days"].validators.append(MaxValueValidator(most))
        self.fields["shift_days"].widget.attrs["max"] = most

    def clean(self) -> dict:
        data = super().clean()
        if data.get("mode") == IDENTIFIED and data.get("shift_days"):
            self.add_error("shift_days", "Dates are shifted only in de-identified exports.")
        return data

    @property
    def wants_identified(self) -> bool:
        return self.cleaned_data.get("mode") == IDENTIFIED

    @property
    def for_excel(self) -> bool:
        return self.cleaned_data.get("encoding") == EXCEL_CSV

    def options(self) -> ExportOptions:
        return ExportOptions(
            identified=self.wants_identified, shift_days=self.cleaned_data.get("shift_days") or 0
        )
