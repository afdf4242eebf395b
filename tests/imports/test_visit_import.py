"""Importing a clinic's past visits with doses: rows matched to patients, sites,
products and lots; problems by row and column; all or nothing; a second upload adds
nothing; lots never in stock become history-only lots traced like any other; no stock
taken and no reminder for a day already past."""

import datetime
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.followups.models import FollowUp
from apps.imports import services
from apps.imports.models import ImportedDose, ImportedPatient, PatientImport
from apps.inventory.models import Lot, StockMovement
from apps.inventory.services import stock_adjust
from apps.safety.selectors.recalls import lot_recipients
from apps.treatments.models import Dose, Visit, VisitWarning
from apps.treatments.services import DoseInput, visit_record
from exotrack import roles
from tests.factories import (
    FollowUpRuleFactory,
    LocationFactory,
    LotFactory,
    PatientFactory,
    ProductFactory,
    TreatmentSiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HEADER = "Patient ID,First name,Last name,DOB,Visit date,Site,Side,Product,Lot,Billions,Clinician\n"


@pytest.fixture
def clinic(db):
    """Two patients (one imported under the clinic's id), a knee site, a product with a
    lot in stock, and Dr Grey."""
    ada = PatientFactory(
        first_name="Ada", last_name="Lovelace", date_of_birth=datetime.date(1975, 12, 10)
    )
    alan = PatientFactory(
        first_name="Alan", last_name="Turing", date_of_birth=datetime.date(1962, 6, 23)
    )
    first_import = PatientImport.objects.create(
        uploaded_by=UserFactory(role=roles.MANAGER), file_name="patients.csv", content=b""
    )
    ImportedPatient.objects.create(external_id="A-1", patient=ada, patient_import=first_import)
    LocationFactory(name="Main room")
    return {
        "ada": ada,
        "alan": alan,
        "knee": TreatmentSiteFactory(name="Knee"),
        "product": ProductFactory(name="ExoFlow 10", gtin="09506000130001"),
        "grey": UserFactory(
            username="dr.grey", first_name="Meredith", last_name="Grey", role=roles.CLINICIAN
        ),
    }


GOOD = HEADER + (
    "A-1,,,,2024-05-14,Knee,left,ExoFlow 10,H-100,4,dr.grey\n"
    "A-1,,,,2024-05-14,Knee,right,ExoFlow 10,H-100,4,dr.grey\n"
    ",Alan,Turing,1962-06-23,2024-06-01,knee,R,09506000130001,H-100,9,Meredith Grey\n"
)


def _upload(manager, text: str, name: str = "visits.csv") -> PatientImport:
    return services.patient_import_upload(
        by=manager,
        file=SimpleUploadedFile(name, text.encode()),
        kind=PatientImport.Kind.VISITS,
    )


def _check(manager, visit_import, defaults=None, **mapping) -> PatientImport:
    services.patient_import_map(
        by=manager,
        patient_import=visit_import,
        mapping={**visit_import.mapping, **mapping},
        date_format="%Y-%m-%d",
        defaults=visit_import.defaults if defaults is None else defaults,
    )
    services.patient_import_check_start(by=manager, patient_import=visit_import)
    visit_import.refresh_from_db()
    return visit_import


def _import(manager, visit_import) -> PatientImport:
    services.patient_import_start(by=manager, patient_import=visit_import)
    visit_import.refresh_from_db()
    return visit_import


def _problems(visit_import) -> list[tuple[int, str, str]]:
    return [(p["row"], p["column"], p["message"]) for p in visit_import.problems]


def test_columns_are_matched_and_the_first_location_is_the_default(manager, clinic):
    visit_import = _upload(manager, GOOD)
    assert visit_import.mapping["external_id"] == "Patient ID"
    assert visit_import.mapping["visit_date"] == "Visit date"
    assert visit_import.mapping["lot_number"] == "Lot"
    assert visit_import.mapping["billions"] == "Billions"
    assert visit_import.defaults == {"location": LocationFactory(name="Main room").pk}


def test_dry_run_saves_nothing_then_import_saves_all_and_again_adds_nothing(manager, clinic):
    visit_import = _check(manager, _upload(manager, GOOD))
    assert visit_import.status == PatientImport.Status.CHECKED
    assert visit_import.problems == []
    assert (visit_import.new_visits, visit_import.new_doses) == (2, 3)
    assert not Visit.objects.exists() and not Lot.objects.filter(lot_number="H-100").exists()

    visit_import = _import(manager, visit_import)
    assert visit_import.status == PatientImport.Status.IMPORTED
    ada_visit = Visit.objects.get(patient=clinic["ada"])
    assert ada_visit.doses.count() == 2
    assert ada_visit.clinician == clinic["grey"]
    assert ada_visit.indication == "Imported history"
    assert timezone.localdate(ada_visit.visited_at) == datetime.date(2024, 5, 14)
    assert ImportedDose.objects.count() == 3

    again = _import(manager, _check(manager, _upload(manager, GOOD)))
    assert (again.new_visits, again.new_doses, again.already_here) == (0, 0, 3)
    assert not again.adds_something  # the page offers no import button
    assert Dose.objects.count() == 3


def test_problems_are_given_by_row_and_column_and_nothing_is_half_imported(manager, clinic):
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    text = HEADER + (
        "A-1,,,,2024-05-14,Knee,left,ExoFlow 10,H-100,4,dr.grey\n"
        "A-9,,,,2024-05-14,Knee,left,ExoFlow 10,H-100,4,dr.grey\n"
        ",Alan,Turing,1962-06-23,2024-06-01,Elbow,R,ExoFlow 10,H-100,4,dr.grey\n"
        ",Alan,Turing,1962-06-23,2024-06-02,Knee,R,Nothing,H-100,4,dr.grey\n"
        ",Alan,Turing,1962-06-23,2024-06-03,Knee,R,ExoFlow 10,H-100,0,dr.grey\n"
        f",Alan,Turing,1962-06-23,{future},Knee,R,ExoFlow 10,H-100,4,dr.grey\n"
        ",Alan,Turing,1962-06-23,1950-01-01,Knee,R,ExoFlow 10,H-100,4,dr.grey\n"
        ",Alan,Turing,1962-06-23,2024-06-04,Knee,R,ExoFlow 10,H-100,4,nobody\n"
        ",Alan,Turing,1962-06-23,2024-06-05,Knee,,ExoFlow 10,H-100,4,dr.grey\n"
    )
    visit_import = _check(manager, _upload(manager, text))
    problems = _problems(visit_import)
    assert (3, "Patient ID", "No patient was imported with the id “A-9”.") in problems
    assert (4, "Site", "“Elbow” is not a treatment site we know.") in problems
    assert (5, "Product", "“Nothing” is not a product (name or GTIN) we know.") in problems
    assert (6, "Billions", "A dose is more than zero billion particles.") in problems
    assert (7, "Visit date", "A visit cannot be in the future.") in problems
    assert (8, "Visit date", "The visit is before the patient's birth (1962-06-23).") in problems
    assert (9, "Clinician", "“nobody” is not a clinician we know.") in problems
    assert (10, "Side", "Say which side of the knee.") in problems
    assert not any(row == 2 for row, _, _ in problems)

    # Importing anyway is refused; nothing of the good first row was kept.
    with pytest.raises(ValidationError):
        services.patient_import_start(by=manager, patient_import=visit_import)
    assert not Visit.objects.exists() and not Lot.objects.filter(lot_number="H-100").exists()


def test_a_clinician_column_or_default_and_a_way_to_find_the_patient_are_required(manager, clinic):
    visit_import = _upload(manager, GOOD)
    with pytest.raises(ValidationError) as refused:
        services.patient_import_map(
            by=manager,
            patient_import=visit_import,
            mapping={**visit_import.mapping, "clinician": "", "external_id": "", "first_name": ""},
            date_format="%Y-%m-%d",
        )
    assert set(refused.value.message_dict) == {"default_clinician", "external_id"}

    # The default clinician stands in for a column the file does not have.
    visit_import = _check(
        manager,
        visit_import,
        defaults={"clinician": clinic["grey"].pk, "location": visit_import.defaults["location"]},
        clinician="",
    )
    assert visit_import.problems == []


def test_a_lot_never_in_stock_becomes_a_history_only_lot_traced_to_its_patients(manager, clinic):
    _import(manager, _check(manager, _upload(manager, GOOD)))

    lot = Lot.objects.get(product=clinic["product"], lot_number="H-100")
    assert lot.history_only
    assert (lot.vials_received, lot.vials_on_hand) == (0, 0)
    assert not StockMovement.objects.filter(lot=lot).exists()
    assert lot.received_on == datetime.date(2024, 5, 14)  # first given
    assert lot.expiry_date == datetime.date(2024, 6, 1)  # last given, in date then
    assert lot.labelled_billions_per_vial == Decimal(9)  # the largest dose
    recipients = {row["visit__patient_id"] for row in lot_recipients(lot_id=lot.pk)}
    assert recipients == {clinic["ada"].pk, clinic["alan"].pk}

    # Never usable for a new visit, and no stock can ever be put on it.
    assert not Lot.objects.filter(Lot.usable_on(timezone.localdate()), pk=lot.pk).exists()
    assert lot.unusable_reason(timezone.localdate()) is not None
    with pytest.raises(ValidationError):
        visit_record(
            by=clinic["grey"],
            patient=clinic["ada"],
            visited_at=timezone.now(),
            location=LocationFactory(name="Main room"),
            clinician=clinic["grey"],
            indication="Knee",
            doses=[
                DoseInput(
                    site=clinic["knee"], lot_id=lot.pk, billions=Decimal(4), laterality="left"
                )
            ],
            consent_recorded=True,
            consent_form_version="v1",
            acknowledgements={"dose_out_of_range": "ok", "no_signed_consent": "ok"},
        )


def test_a_lot_in_stock_gives_its_past_doses_without_taking_stock(manager, clinic):
    lot = LotFactory(product=clinic["product"], lot_number="S-1", vials_received=10)
    movements = StockMovement.objects.count()
    text = HEADER + "A-1,,,,2024-05-14,Knee,left,ExoFlow 10,S-1,4,dr.grey\n"

    _import(manager, _check(manager, _upload(manager, text)))

    lot.refresh_from_db()
    assert lot.vials_on_hand == 10 and not lot.history_only
    assert StockMovement.objects.count() == movements
    assert Dose.objects.get().lot == lot


def test_warnings_are_kept_acknowledged_as_imported_by_the_manager(manager, clinic):
    # 9 bn in a knee is outside its usual 3-5 bn.
    _import(manager, _check(manager, _upload(manager, GOOD, name="old-clinic.csv")))

    warning = VisitWarning.objects.get(visit__patient=clinic["alan"], code="dose_out_of_range")
    assert warning.acknowledged_by == manager
    assert warning.reason == "Imported from old-clinic.csv (past record)"
    assert Visit.objects.get(patient=clinic["alan"]).sign_off == Visit.SignOff.NOT_NEEDED


def test_no_follow_up_or_reminder_for_a_day_already_past(manager, clinic, settings):
    settings.FOLLOWUP_BACKDATED_GRACE_DAYS = 7
    FollowUpRuleFactory()  # day-3 check
    FollowUpRuleFactory(code="outcome_week_6", name="Six weeks", offset_days=42)
    yesterday = (timezone.localdate() - datetime.timedelta(days=5)).isoformat()
    text = HEADER + (
        "A-1,,,,2024-05-14,Knee,left,ExoFlow 10,H-100,4,dr.grey\n"
        f",Alan,Turing,1962-06-23,{yesterday},Knee,R,ExoFlow 10,H-100,4,dr.grey\n"
    )

    _import(manager, _check(manager, _upload(manager, text)))

    # The day-3 check of five days ago would be scheduled, overdue, for a visit typed in
    # late; an imported one schedules only the six-week outcome, still ahead.
    follow_ups = FollowUp.objects.all()
    assert [f.due_on for f in follow_ups] == [timezone.localdate() + datetime.timedelta(days=37)]
    assert all(f.due_on >= timezone.localdate() for f in follow_ups)
    assert not FollowUp.objects.filter(visit__patient=clinic["ada"]).exists()


def test_only_managers_import_visits(clinician, clinic):
    with pytest.raises(Exception, match="Only clinic managers"):
        _upload(clinician, GOOD)


def test_visits_pages_and_template(client, manager, clinic):
    client.force_login(manager)
    template = client.get("/imports/visits-template.csv")
    assert template.content.decode().splitlines()[0] == ",".join(
        services.template_headers(PatientImport.Kind.VISITS)
    )
    response = client.post(
        "/imports/",
        {"kind": "visits", "file": SimpleUploadedFile("visits.csv", GOOD.encode())},
    )
    visit_import = PatientImport.objects.get(kind=PatientImport.Kind.VISITS)
    assert response.status_code == 302
    page = client.get(f"/imports/{visit_import.pk}/")
    assert "Clinician of rows that name none" in page.content.decode()
    assert "the import takes nothing from stock" in page.content.decode()


def test_time_to_import_2000_past_doses(manager, clinic, settings, capsys):
    settings.IMPORT_INLINE_MAX_ROWS = 10_000
    patients = PatientFactory.create_batch(100)
    start = datetime.date(2023, 1, 2)
    lines = [
        f",{p.first_name},{p.last_name},{p.date_of_birth},"
        f"{start + datetime.timedelta(days=visit * 7)},Knee,{side},ExoFlow 10,H-{visit % 5},4,"
        "dr.grey"
        for p in patients
        for visit in range(10)
        for side in ("left", "right")
    ]
    visit_import = _upload(manager, HEADER + "\n".join(lines) + "\n")
    began = time.perf_counter()
    visit_import = _check(manager, visit_import)
    checked = time.perf_counter()
    visit_import = _import(manager, visit_import)
    done = time.perf_counter()
    assert visit_import.problems[:3] == [] and visit_import.new_doses == 2000
    with capsys.disabled():
        print(
            f"\n2,000 past doses (1,000 visits): dry run {checked - began:.1f} s, "
            f"import {done - checked:.1f} s"
        )


def test_a_history_only_lot_page_says_so_and_offers_no_stock_change(client, manager, clinic):
    _import(manager, _check(manager, _upload(manager, GOOD)))
    lot = Lot.objects.get(lot_number="H-100")
    with pytest.raises(ValidationError, match="past records only"):
        stock_adjust(by=manager, lot=lot, vials=5, reason="Found a box")

    client.force_login(manager)
    page = client.get(reverse("inventory:lot-detail", args=[lot.pk])).content.decode()
    assert "Past records only" in page
    assert "Waste or correct the stock" not in page
