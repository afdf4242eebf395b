from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.urls import reverse
from django.utils import timezone

from apps.accounts.forms import ClinicianChoiceField
from apps.injection_maps.services import PointInput, points_from_text
from apps.treatments.models import Laterality, Route, TreatmentSite
from apps.treatments.services import (
    SITE_FIELDS,
    DoseInput,
    _bn,
    max_sites_per_visit,
    too_many_sites_error,
)
from exotrack.dates import ClinicDateField
from exotrack.query_ids import parse_id

if TYPE_CHECKING:
    from apps.clinic.models import Location

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _now_local() -> datetime.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


NO_SITE_HINT = "Choose a site to see its usual dose."


def usual_dose(site: TreatmentSite) -> str:
    """The hint under a dose once its site is chosen: the catalogue's usual range."""
    low, high = _bn(site.dose_min_billions), _bn(site.dose_max_billions)
    return f"Usual {low} bn" if low == high else f"Usual {low}\N{EN DASH}{high} bn"


def site_choices(sites: Iterable[TreatmentSite]) -> list:
    """The site picker: a group per category in the catalogue's order of categories (joints
    first), sites by name inside, so a long catalogue is read by region, not alphabet."""
    by_category: dict[str, list[TreatmentSite]] = defaultdict(list)
    for site in sites:
        by_category[site.category].append(site)
    return [("", "Choose a site")] + [
        (label, [(s.pk, s.name) for s in sorted(by_category[code], key=lambda s: s.name.lower())])
        for code, label in TreatmentSite.Category.choices
        if by_category[code]
    ]


class VisitForm(forms.Form):
    visited_at = forms.DateTimeField(
        label="Date and time",
        widget=_DATETIME,
        initial=_now_local,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    location: forms.ModelChoiceField[Location] = forms.ModelChoiceField(
        queryset=None, empty_label="Choose a location"
    )
    clinician = ClinicianChoiceField(queryset=None, empty_label="Choose a clinician")
    indication = forms.CharField(max_length=200, help_text="e.g. Osteoarthritis, right knee")
    consent_recorded = forms.BooleanField(label="Consent recorded", required=False)
    consent_form_version = forms.CharField(
        label="Consent-form version", max_length=40, required=False
    )
    cold_sore_prophylaxis = forms.BooleanField(
        label="Cold-sore prophylaxis given",
        required=False,
        help_text="e.g. valacyclovir before treatment",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, locations, clinicians, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["location"]).queryset = locations
        cast(ClinicianChoiceField, self.fields["clinician"]).queryset = clinicians
        if not self.is_bound:
            # One location or one clinician: nothing to choose, so it is chosen.
            for name, choices in (("location", locations), ("clinician", clinicians)):
                only = [] if name in self.initial else list(choices[:2])
                if len(only) == 1:
                    self.initial[name] = only[0].pk


class DoseForm(forms.Form):
    """One treated site. Sites and lots come from lists the view reads once, so a form
    of many rows costs no query per row."""

    scan = forms.CharField(
        label="Scan vial",
        required=False,
        strip=False,  # GS separators are part of a scanned code
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "scan"}),
        help_text="Scan the vial barcode to choose its lot.",
    )
    site = forms.TypedChoiceField(coerce=int, label="Treatment site")
    laterality = forms.ChoiceField(choices=Laterality.choices, initial=Laterality.NOT_APPLICABLE)
    lot = forms.TypedChoiceField(coerce=int)
    billions = forms.DecimalField(label="Billions of particles", max_digits=8, decimal_places=2)
    route = forms.ChoiceField(choices=[("", "Site's usual route"), *Route.choices], required=False)
    volume_ml = forms.DecimalField(
        label="Volume (mL)", max_digits=6, decimal_places=2, required=False
    )
    baseline_pain = forms.IntegerField(
        label="Baseline pain (0-10)", min_value=0, max_value=10, required=False
    )
    # Tapped on the site's diagram (injection_maps/map-editor.js), as JSON.
    injection_points = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, sites: dict[int, TreatmentSite], lot_choices: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.sites = sites
        # A scanned code is read into this row by the server, which answers with the row.
        self.fields["scan"].widget.attrs.update(
            {
                "hx-post": reverse("treatments:vial-scan"),
                "hx-trigger": "change",
                "hx-include": "closest form",
                "hx-vals": json.dumps({"prefix": self.prefix}),
                "hx-target": "closest .dose-row",
                "hx-swap": "outerHTML",
            }
        )
        cast(forms.ChoiceField, self.fields["site"]).choices = site_choices(sites.values())
        # Shown on the page as it comes back (an error, a scan); the script keeps it current.
        site = sites.get(parse_id(self.data.get(self.add_prefix("site"))) or 0)
        self.fields["billions"].help_text = usual_dose(site) if site else NO_SITE_HINT
        # The usable lots, plus whatever lot this row names (e.g. from a scan), so a lot
        # that became unusable is refused by the service with its reason, not silently.
        choices = [("", "Choose a lot"), *lot_choices]
        chosen = parse_id(self.data.get(self.add_prefix("lot"))) if self.is_bound else None
        known = {str(value) for value, _ in choices}
        if chosen is not None and str(chosen) not in known:
            choices.append((chosen, f"Lot #{chosen}"))
        cast(forms.ChoiceField, self.fields["lot"]).choices = choices

    @property
    def number(self) -> str:
        """The row's number as the page shows it ("Site 2"); blank on the empty row the
        script copies, which numbers its copies itself."""
        index = (self.prefix or "").rsplit("-", 1)[-1]
        return str(int(index) + 1) if index.isascii() and index.isdigit() else ""

    def clean_billions(self) -> Decimal:
        billions = self.cleaned_data["billions"]
        if billions is not None and billions <= 0:
            raise forms.ValidationError("A dose is more than zero billion particles.")
        return billions

    def clean_injection_points(self) -> list[PointInput]:
        # Its ValidationError is the form's own: shown on the row's map.
        return points_from_text(self.cleaned_data["injection_points"])

    def dose_input(self) -> DoseInput:
        data = self.cleaned_data
        return DoseInput(
            site=self.sites[data["site"]],
            lot_id=data["lot"],
            billions=data["billions"],
            laterality=data["laterality"],
            route=data["route"],
            volume_ml=data["volume_ml"],
            baseline_pain=data["baseline_pain"],
        )


class BaseDoseFormSet(forms.BaseFormSet):
    validate_max = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Read when the page is built (a setting); absolute_max at the same number, so a
        # posted TOTAL_FORMS of 100,000 builds no more rows than that before refusing.
        self.max_num = self.absolute_max = max_sites_per_visit()
        # BaseFormSet builds error_messages in __init__; the stubs do not declare it.
        self.error_messages["too_many_forms"] = too_many_sites_error().message  # type: ignore[attr-defined]

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not [f for f in self.forms if f.has_changed() and f not in self.deleted_forms]:
            raise forms.ValidationError("Record at least one dose.")

    @property
    def usual_doses(self) -> dict[int, str]:
        """Each site's hint, for the script that shows it when a row's site changes."""
        return {pk: usual_dose(site) for pk, site in self.form_kwargs["sites"].items()}


DoseFormSet = forms.formset_factory(DoseForm, formset=BaseDoseFormSet, extra=0, min_num=1)


class VisitVoidForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. recorded against the wrong patient",
    )


class VisitFilterForm(forms.Form):
    date_from = ClinicDateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = ClinicDateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    clinician = ClinicianChoiceField(queryset=None, required=False, empty_label="Any clinician")
    location: forms.ModelChoiceField[Location] = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Any location"
    )

    def __init__(self, *args, locations, clinicians, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["location"]).queryset = locations
        cast(ClinicianChoiceField, self.fields["clinician"]).queryset = clinicians


class TreatmentSiteForm(forms.ModelForm):
    class Meta:
        model = TreatmentSite
        fields = list(SITE_FIELDS)
        labels = {
            "dose_min_billions": "Lowest usual dose (billions)",
            "dose_max_billions": "Highest usual dose (billions)",
            "laterality_applies": "Left/right applies",
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        low, high = data.get("dose_min_billions"), data.get("dose_max_billions")
        if low is not None and low <= 0:
            self.add_error("dose_min_billions", "The lowest usual dose is above zero.")
        if low is not None and high is not None and high < low:
            self.add_error("dose_max_billions", "The highest usual dose is below the lowest.")
        return data
