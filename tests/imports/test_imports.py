"""Importing patients from a spreadsheet: reading awkward files, the dry run's problems
by row and column, all-or-nothing and idempotent imports, the worker for large files,
and the manager-only pages."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from apps.imports import services
from apps.imports.models import ImportedPatient, PatientImport
from apps.patients.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

GOOD = (
    "Patient ID,First name,Last name,DOB,Gender,E-mail,Phone,Consent\n"
    "A-1,Ada,Lovelace,1975-12-10,F,ada@example.com,+1 555 0100,yes\n"
    "A-2,Alan,Turing,1962-06-23,m,,,no\n"
)


def _upload(manager, text: str | bytes, name: str = "patients.csv") -> PatientImport:
    content = text.encode() if isinstance(text, str) else text
    return services.patient_import_upload(by=manager, file=SimpleUploadedFile(name, content))


def _check(manager, patient_import, date_format="%Y-%m-%d", **mapping) -> PatientImport:
    services.patient_import_map(
        by=manager,
        patient_import=patient_import,
        mapping={**patient_import.mapping, **mapping},
        date_format=date_format,
    )
    services.patient_import_check_start(by=manager, patient_import=patient_import)
    patient_import.refresh_from_db()
    return patient_import


def _problems(patient_import) -> list[tuple[int, str, str]]:
    return [(p["row"], p["column"], p["message"]) for p in patient_import.problems]


def test_columns_are_matched_by_their_usual_names(manager):
    patient_import = _upload(manager, GOOD)
    assert patient_import.mapping == {
        "external_id": "Patient ID",
        "first_name": "First name",
        "last_name": "Last name",
        "date_of_birth": "DOB",
        "sex": "Gender",
        "email": "E-mail",
        "phone": "Phone",
        "email_consent": "Consent",
    }
    assert patient_import.rows_total == 2
    assert patient_import.read_as == "CSV, UTF-8, separated by comma"


def test_dry_run_saves_nothing_then_import_saves_all_and_again_adds_nothing(manager):
    checked = _check(manager, _upload(manager, GOOD))
    assert checked.status == PatientImport.Status.CHECKED
    assert (checked.problems, checked.new_patients, checked.already_here) == ([], 2, 0)
    assert not Patient.objects.exists()

    services.patient_import_start(by=manager, patient_import=checked)
    checked.refresh_from_db()
    assert checked.status == PatientImport.Status.IMPORTED
    ada = Patient.objects.get(first_name="Ada")
    assert (ada.sex, ada.email_consent, str(ada.date_of_birth)) == ("female", True, "1975-12-10")
    assert ImportedPatient.objects.get(external_id="A-1").patient == ada
    # Registered through the service: the history has the insert, by the manager.
    assert ada.events.filter(pgh_label="insert").exists()

    again = _check(manager, _upload(manager, GOOD))
    assert (again.new_patients, again.already_here) == (0, 2)
    assert Patient.objects.count() == 2


def test_a_patient_already_here_by_name_and_birth_date_is_not_added(manager):
    PatientFactory(first_name="ada", last_name="LOVELACE", date_of_birth="1975-12-10")
    checked = _check(manager, _upload(manager, GOOD))
    assert (checked.new_patients, checked.already_here) == (1, 1)


def test_problems_are_given_by_row_and_column_and_nothing_is_half_imported(manager):
    text = (
        "First name,Last name,DOB,Gender,E-mail\n"
        "Ada,Lovelace,1975-12-10,F,ada@example.com\n"
        "\n"
        "Alan,Turing,23/06/1962,m,not-an-address\n"
        ",Hopper,2090-01-01,q,\n"
        "Ada,Lovelace,1975-12-10,F,ada@example.com\n"
        'Grace,=HYPERLINK("x"),1906-12-09,f,\n'
    )
    checked = _check(manager, _upload(manager, text))
    assert _problems(checked) == [
        (4, "DOB", "“23/06/1962” is not a date written like 2026-03-14."),
        (5, "Gender", "“q” is not a sex we record (female, male, other)."),
        (6, "", "The same patient as row 2; remove one of the two rows."),
        (7, "Last name", "This cell holds a spreadsheet formula; paste its value instead."),
    ]
    assert not Patient.objects.exists()
    with pytest.raises(services.ValidationError):
        services.patient_import_start(by=manager, patient_import=checked)


def test_service_rules_apply_to_each_row(manager):
    text = (
        "First name,Last name,DOB,E-mail\n"
        "Ada,Lovelace,1975-12-10,not-an-address\n"
        ",Hopper,1906-12-09,\n"
        "Kid,Future,2090-01-01,\n"
    )
    problems = _problems(_check(manager, _upload(manager, text)))
    assert problems == [
        (2, "E-mail", "Enter a valid email address."),
        (3, "First name", "This field cannot be blank."),
        (4, "DOB", "The date of birth is in the future."),
    ]


def test_latin1_semicolons_and_european_dates(manager):
    text = "Vorname;Nachname;Geburtsdatum\nJosé;Müller;14.03.1970\n"
    patient_import = _upload(manager, text.encode("latin-1"))
    assert patient_import.read_as == "CSV, Windows-1252 / Latin-1, separated by semicolon"
    checked = _check(
        manager,
        patient_import,
        date_format="%d.%m.%Y",
        first_name="Vorname",
        last_name="Nachname",
        date_of_birth="Geburtsdatum",
    )
    assert checked.problems == []
    services.patient_import_start(by=manager, patient_import=checked)
    assert Patient.objects.get().full_name == "José Müller"


def test_utf8_with_bom_and_us_dates(manager):
    text = "\ufeffFirst name,Last name,Date of birth\nZoë,Ng,03/14/1970\n"
    patient_import = _upload(manager, text.encode("utf-8"))
    assert patient_import.read_as == "CSV, UTF-8 with BOM, separated by comma"
    assert patient_import.mapping["first_name"] == "First name"
    checked = _check(manager, patient_import, date_format="%m/%d/%Y")
    assert checked.problems == []


def test_xlsx_with_date_cells_and_a_formula(manager):
    import datetime

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["First name", "Last name", "Date of birth"])
    sheet.append(["Ada", "Lovelace", datetime.datetime(1975, 12, 10)])
    sheet.append(["Alan", '=UPPER("turing")', datetime.datetime(1962, 6, 23)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    patient_import = _upload(manager, buffer.getvalue(), "patients.xlsx")
    assert patient_import.read_as.startswith("XLSX")
    assert _problems(_check(manager, patient_import)) == [
        (3, "Last name", "This cell holds a spreadsheet formula; paste its value instead."),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\n\n,,\n", "The file is empty."),
        (b"First name,Last name,DOB\n", "The file has a header row but no patients under it."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "This file is neither a CSV nor an XLSX workbook"),
        (b"PK\x03\x04broken", "The XLSX workbook cannot be opened; is it damaged?"),
        (b"Name,name\nA,B\n", "Two columns are both called “name”; rename one."),
    ],
)
def test_bad_files_get_a_clear_message(manager, content, message):
    with pytest.raises(services.ValidationError) as error:
        _upload(manager, content)
    assert error.value.message_dict["file"][0].startswith(message)
    assert not PatientImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused_unread(manager, settings):
    settings.IMPORT_MAX_MEGABYTES = 1
    big = GOOD + "A-3,Big,File,1970-01-01,f,,,no\n" * 40_000
    with pytest.raises(services.ValidationError) as error:
        _upload(manager, big)
    assert "larger than 1 MB" in error.value.message_dict["file"][0]


def test_required_columns_must_be_matched(manager):
    patient_import = _upload(manager, GOOD)
    with pytest.raises(services.ValidationError) as error:
        services.patient_import_map(
            by=manager,
            patient_import=patient_import,
            mapping={**patient_import.mapping, "date_of_birth": "", "email": "Phone"},
            date_format="%Y-%m-%d",
        )
    assert set(error.value.message_dict) == {"date_of_birth", "phone"}


def test_only_managers_import(clinician):
    with pytest.raises(services.PermissionDenied):
        _upload(clinician, GOOD)


def test_large_files_go_to_the_worker_with_progress(
    manager, settings, client, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 1
    patient_import = _upload(manager, GOOD)
    with django_capture_on_commit_callbacks() as callbacks:
        services.patient_import_map(
            by=manager,
            patient_import=patient_import,
            mapping=patient_import.mapping,
            date_format="%Y-%m-%d",
        )
        services.patient_import_check_start(by=manager, patient_import=patient_import)
    assert len(callbacks) == 1
    assert patient_import.status == PatientImport.Status.CHECKING
    client.force_login(manager)
    progress = client.get(f"/imports/{patient_import.pk}/progress/")
    assert "0 of 2 rows done, 0 problems so far" in progress.content.decode()
    assert "HX-Refresh" not in progress
    services.patient_import_check(patient_import_id=patient_import.pk)
    # A repeated task finds nothing to do.
    services.patient_import_check(patient_import_id=patient_import.pk)
    patient_import.refresh_from_db()
    assert patient_import.status == PatientImport.Status.CHECKED
    assert client.get(f"/imports/{patient_import.pk}/progress/")["HX-Refresh"] == "true"


def test_pages_are_for_managers(client, clinician, manager):
    client.force_login(clinician)
    assert client.get("/imports/").status_code == 403
    client.force_login(manager)
    page = client.get("/imports/")
    assert page.status_code == 200
    template = client.get("/imports/template.csv")
    assert template.content.decode().splitlines()[0] == ",".join(
        services.template_headers("patients")
    )


def test_upload_and_import_through_the_pages(client, manager):
    client.force_login(manager)
    response = client.post("/imports/", {"file": SimpleUploadedFile("p.csv", GOOD.encode())})
    patient_import = PatientImport.objects.get()
    assert response["Location"] == f"/imports/{patient_import.pk}/"
    form = {**patient_import.mapping, "date_format": "%Y-%m-%d"}
    client.post(f"/imports/{patient_import.pk}/", form)
    page = client.get(f"/imports/{patient_import.pk}/").content.decode()
    assert "Checked: no problems" in page
    client.post(f"/imports/{patient_import.pk}/import/")
    assert Patient.objects.count() == 2
