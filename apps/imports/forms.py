from typing import Any

from django import forms

from apps.clinic.selectors import active_locations
from apps.imports.models import PatientImport
from apps.imports.services import fields_for
from apps.treatments.selectors import clinicians


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="The file holds",
        choices=PatientImport.Kind.choices,
        initial=PatientImport.Kind.PATIENTS,
        widget=forms.RadioSelect,
        required=False,
    )
    file = forms.FileField(
        label="Spreadsheet (CSV or XLSX)",
        help_text="One patient, or one past dose, per row; column names in the first row.",
    )

    def clean_kind(self) -> str:
        # Patients unless said otherwise: they are imported first, before their visits.
        return self.cleaned_data["kind"] or PatientImport.Kind.PATIENTS


class MappingForm(forms.Form):
    """Which column of the file holds which of our fields (and, for past visits, who
    gave the treatments and where, when the file does not say)."""

    def __init__(self, *args, patient_import: PatientImport, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = patient_import.kind
        columns = [(header, header) for header in patient_import.headers if header]
        for field in fields_for(self.kind):
            self.fields[field.name] = forms.ChoiceField(
                label=field.label + ("" if field.required else " (optional)"),
                choices=[("", "Not in this file"), *columns],
                required=False,
                initial=patient_import.mapping.get(field.name, ""),
            )
        self.fields["date_format"] = forms.ChoiceField(
            label="Dates in this file are written like",
            choices=PatientImport.DateFormat.choices,
            initial=patient_import.date_format,
        )
        if self.kind == PatientImport.Kind.VISITS:
            defaults = patient_import.defaults
            self.fields["default_clinician"] = forms.ModelChoiceField(
                label="Clinician of rows that name none",
                queryset=clinicians(),
                required=False,
                empty_label="Every row names its clinician",
                initial=defaults.get("clinician"),
            )
            self.fields["default_location"] = forms.ModelChoiceField(
                label="Location of rows that name none",
                queryset=active_locations(),
                required=False,
                empty_label="Every row names its location",
                initial=defaults.get("location"),
            )

    def mapping(self) -> dict[str, str]:
        return {
            field.name: self.cleaned_data.get(field.name, "") for field in fields_for(self.kind)
        }

    def defaults(self) -> dict[str, Any]:
        chosen = {
            name: getattr(self.cleaned_data.get(f"default_{name}"), "pk", None)
            for name in ("clinician", "location")
        }
        return {name: pk for name, pk in chosen.items() if pk}
