"""`manage.py seed`: idempotent, never overwrites edits, demo data only on request,
and a bad seed file names the file and entry and saves nothing."""

import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.accounts.models import User
from apps.clinic.models import ClinicProfile, Location
from apps.inventory.models import Lot, Manufacturer, Product
from apps.patients.models import Medication, MedicationClass, Patient
from apps.treatments.models import TreatmentSite, Visit
from exotrack import roles

SEEDS = Path(settings.BASE_DIR) / "seeds"
SEEDED_MODELS = [
    ClinicProfile,
    Location,
    MedicationClass,
    TreatmentSite,
    User,
    Manufacturer,
    Product,
    Lot,
    Patient,
    Medication,
]

pytestmark = pytest.mark.django_db


def seed(*args: str) -> None:
    call_command("seed", *args, skip_checks=True, stdout=io.StringIO())


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in SEEDED_MODELS}


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A copy of seeds/ a test may break."""
    return Path(shutil.copytree(SEEDS, tmp_path / "seeds"))


def test_seeding_twice_changes_nothing():
    seed("--demo")
    first = counts()
    profile_saved_at = ClinicProfile.objects.get().updated_at

    seed("--demo")

    assert counts() == first
    assert ClinicProfile.objects.get().updated_at == profile_saved_at
    assert first == {
        "ClinicProfile": 1,
        "Location": 2,
        "MedicationClass": 6,
        "TreatmentSite": 10,
        "User": 4,
        "Manufacturer": 2,
        "Product": 2,
        "Lot": 2,
        "Patient": 3,
        "Medication": 3,
    }


def test_seeding_never_overwrites_what_a_manager_edited():
    seed()
    TreatmentSite.objects.filter(name="Knee").update(dose_max_billions=Decimal("6"))
    MedicationClass.objects.filter(code="anticoagulant").update(watched=True)
    ClinicProfile.objects.update(name="Harbour Clinic (renamed)")

    seed()

    assert TreatmentSite.objects.get(name="Knee").dose_max_billions == Decimal("6")
    assert MedicationClass.objects.get(code="anticoagulant").watched is True
    assert ClinicProfile.objects.get().name == "Harbour Clinic (renamed)"


def test_catalogue_carries_the_clinic_dose_ranges():
    seed()
    ranges = {
        site.name: (site.dose_min_billions, site.dose_max_billions, site.category)
        for site in TreatmentSite.objects.all()
    }
    assert ranges["Hand tendon (single)"] == (1, 1, "tendon")
    assert ranges["Gums / dental abscess"] == (1, 1, "dental")
    assert ranges["Face"] == (2, 3, "face")
    assert ranges["Scalp"] == (2, 4, "scalp")
    for joint in ["Knee", "Shoulder", "Hip", "Ankle"]:
        assert ranges[joint] == (3, 5, "joint")
    assert ranges["Systemic (autoimmune)"] == (5, 10, "systemic")
    assert ranges["Systemic maintenance (monthly)"] == (20, 24, "systemic")
    assert TreatmentSite.objects.get(name="Knee").laterality_applies is True
    assert TreatmentSite.objects.get(name="Face").laterality_applies is False


def test_watched_medication_classes():
    seed()
    watched = dict(MedicationClass.objects.values_list("code", "watched"))
    assert watched == {
        "antihypertensive": True,
        "thyroid_hormone": True,
        "glucose_lowering": True,
        "immunosuppressant": True,
        "anticoagulant": False,
        "other": False,
    }


def test_without_demo_there_are_no_demo_accounts_or_records():
    seed()
    assert not User.objects.exists()
    assert not Patient.objects.exists()
    assert not Lot.objects.exists()
    assert ClinicProfile.objects.get().name == "Harbour Regenerative Clinic"


def test_demo_accounts_sign_in_with_the_documented_password_in_their_role(client):
    seed("--demo")
    expected = {
        "clinician": roles.CLINICIAN,
        "nurse": roles.NURSE,
        "frontdesk": roles.FRONT_DESK,
        "manager": roles.MANAGER,
    }
    for username, role in expected.items():
        user = User.objects.get(username=username)
        assert [g.name for g in user.groups.all()] == [role]
        assert user.check_password("exotrack-demo-2026")
    # The demo stock is on hand, less the vials the demo visits opened (NW-Exo 5: 8 bn,
    # then 4 bn and the nurse's 4 bn at 5 bn a vial = 2 + 1 + 1; CascadeVes 10: 5 bn = 1),
    # and the demo patients' watched medications are recorded.
    assert sorted(Lot.objects.values_list("vials_on_hand", flat=True)) == [11, 36]
    eleanor = Patient.objects.get(last_name="Whitfield")
    assert sorted(eleanor.medications.values_list("medication_class__code", flat=True)) == [
        "antihypertensive",
        "thyroid_hormone",
    ]
    assert eleanor.created_by.username == "clinician"
    # Their history went through the staff services: visits bring follow-ups and flags.
    assert eleanor.visits.count() == 2
    assert eleanor.medication_flags.filter(status="open").count() == 2
    assert eleanor.follow_ups.filter(status="pending", kind="check_in").exists()
    marcus = Patient.objects.get(last_name="Delgado")
    assert [e.event_type.code for e in marcus.adverse_events.all()] == ["cold_sore"]
    # The nurse's visit for the immunocompromised patient waits for the clinician.
    priya = Patient.objects.get(last_name="Natarajan").visits.get()
    assert (priya.created_by.username, priya.sign_off) == ("nurse", "awaiting")


def test_a_malformed_entry_names_file_and_entry_and_saves_nothing(seeds_copy):
    path = seeds_copy / "treatment_sites.toml"
    path.write_text(path.read_text().replace('category = "face"', 'category = "elbow"'))

    with pytest.raises(CommandError) as failure:
        seed("--demo", "--seeds-dir", str(seeds_copy))

    message = str(failure.value)
    assert "treatment_sites.toml" in message
    assert "[[sites]] entry 3 ('Face')" in message
    assert "category" in message and "elbow" in message
    # clinic.toml and medication_classes.toml loaded before the bad entry: rolled back.
    assert set(counts().values()) == {0}


def test_a_missing_key_is_named(seeds_copy):
    path = seeds_copy / "medication_classes.toml"
    path.write_text(path.read_text().replace('name = "Thyroid hormone"\n', "", 1))

    with pytest.raises(CommandError, match=r"medication_classes.toml, \[\[classes\]\] entry 2 "):
        seed("--seeds-dir", str(seeds_copy))
    assert not MedicationClass.objects.exists()


def test_a_bad_demo_reference_is_named(seeds_copy):
    path = seeds_copy / "demo.toml"
    path.write_text(path.read_text().replace('product = "CascadeVes 10"', 'product = "Nope"'))

    with pytest.raises(CommandError) as failure:
        seed("--demo", "--seeds-dir", str(seeds_copy))

    expected = "demo.toml, [[lots]] entry 2 ('CV-2291'): product: No product named 'Nope'."
    assert str(failure.value) == expected
    assert set(counts().values()) == {0}


def test_invalid_toml_is_reported_before_anything_is_written(seeds_copy):
    (seeds_copy / "demo.toml").write_text("[[users]\nusername = ")

    with pytest.raises(CommandError, match=r"^demo.toml: not valid TOML"):
        seed("--demo", "--seeds-dir", str(seeds_copy))
    assert set(counts().values()) == {0}


def test_history_names_the_seed_and_the_demo_clinician_only_on_what_they_recorded():
    seed("--demo")
    site_event = apps.get_model("treatments", "TreatmentSiteEvent").objects.first()
    patient_event = apps.get_model("patients", "PatientEvent").objects.first()

    assert site_event.pgh_context.metadata == {"source": "manage.py seed"}
    clinician = User.objects.get(username="clinician")
    assert patient_event.pgh_context.metadata == {
        "source": "manage.py seed --demo",
        "user": clinician.pk,
    }
    # The visit the nurse saved names the nurse, not the clinician who recorded the rest.
    nurses_visit = Visit.objects.get(created_by__username="nurse")
    visit_event = apps.get_model("treatments", "VisitEvent").objects.get(pgh_obj=nurses_visit)
    assert visit_event.pgh_context.metadata["user"] == nurses_visit.created_by_id
