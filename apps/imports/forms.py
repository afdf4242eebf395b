from django import forms

from apps.imports.models import PatientImport
from apps.imports.services import FIELDS


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet of patients (CSV or XLSX)",
        help_text="One patient per row, column names in the first row.",
    )


class MappingForm(forms.Form):
    """Which column of the file holds which of our fields."""

    def __init__(self, *args, patient_import: PatientImport, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        columns = [(header, header) for header in patient_import.headers if header]
        for field in FIELDS:
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

    def mapping(self) -> dict[str, str]:
        return {field.name: self.cleaned_data.get(field.name, "") for field in FIELDS}
