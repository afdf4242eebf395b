"""`manage.py seed [--demo]`: load the readable files in seeds/ through the apps' services.

Idempotent: what exists is left alone (a manager's edits are never overwritten), so
seeding twice changes nothing. All files load in one transaction: a bad entry stops
the run with a message naming the file and the entry, and nothing is saved.
"""

import datetime
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from django.utils import timezone

from apps.accounts.services import staff_user_seed
from apps.clinic.services import clinic_seed, location_seed
from apps.followups.services.rules import followup_rule_seed
from apps.inventory.services import lot_seed, manufacturer_seed, product_seed
from apps.patients.models import MedicationClass
from apps.patients.selectors import possible_duplicates
from apps.patients.services import medication_add, medication_class_seed, patient_register
from apps.safety.services.adverse_events import adverse_event_type_seed
from apps.treatments.services import treatment_site_seed
from exotrack.management.commands._demo_history import demo_visit_record
from exotrack.roles import CLINICIAN, ensure_roles

DEMO_SOURCE = "manage.py seed --demo"

# Errors a seed entry can cause: wrong or missing keys, bad values, broken references.
_ENTRY_ERRORS = (ValidationError, TypeError, ValueError, KeyError, LookupError, DatabaseError)


def _describe(error: Exception) -> str:
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
            )
        return " ".join(error.messages)
    if isinstance(error, KeyError):
        return f"missing key {error}"
    return str(error)


class SeedFile:
    """One TOML file of seeds/, with error messages that point into it."""

    def __init__(self, path: Path) -> None:
        self.name = path.name
        try:
            self.data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"{self.name}: file not found in {path.parent}") from None
        except tomllib.TOMLDecodeError as error:
            raise CommandError(f"{self.name}: not valid TOML: {error}") from None

    def table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key)
        if not isinstance(value, dict):
            raise CommandError(f"{self.name}: needs a [{key}] table")
        return value

    def entries(self, key: str) -> list[dict[str, Any]]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
            raise CommandError(f"{self.name}: '{key}' must be a list of [[{key}]] tables")
        return value

    def apply(self, where: str, entry: dict[str, Any], service: Callable, **extra) -> Any:
        """Call a seed service with the entry's keys; name the entry if it fails."""
        try:
            return service(**entry, **extra)
        except _ENTRY_ERRORS as error:
            raise CommandError(f"{self.name}, {where}: {_describe(error)}") from error

    def each(self, key: str, service: Callable, **extra) -> tuple[list, int]:
        """Seed every [[key]] entry; returns the objects and how many were new."""
        objects, new = [], 0
        for number, entry in enumerate(self.entries(key), start=1):
            label = next(
                (entry[k] for k in ("name", "username", "code", "lot_number") if k in entry), ""
            )
            where = f"[[{key}]] entry {number}" + (f" ({label!r})" if label else "")
            obj, created = self.apply(where, entry, service, **extra)
            objects.append(obj)
            new += created
        return objects, new


class Command(BaseCommand):
    help = (
        "Load the clinic, treatment-site catalogue and medication classes from seeds/ "
        "(idempotent; never overwrites edits). --demo adds demo staff accounts, stock "
        "and patients."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--demo", action="store_true", help="Also load seeds/demo.toml (never in production)."
        )
        parser.add_argument(
            "--seeds-dir",
            type=Path,
            default=Path(settings.BASE_DIR) / "seeds",
            help="Directory holding the seed files (default: seeds/).",
        )

    def handle(self, *args, demo: bool, seeds_dir: Path, **options) -> None:
        files = [
            "clinic.toml",
            "medication_classes.toml",
            "treatment_sites.toml",
            "adverse_event_types.toml",
            "followup_rules.toml",
        ]
        if demo:
            files.append("demo.toml")
        # Read every file before writing anything, so a syntax error saves nothing either.
        seeds = {name: SeedFile(seeds_dir / name) for name in files}
        # History names the seed as the source of these rows. Each part opens its own
        # context: demo patients are recorded by the demo clinician, and that actor must
        # not be stamped on the catalogue's history as well.
        with transaction.atomic():
            with pghistory.context(source="manage.py seed"):
                try:
                    ensure_roles()
                except LookupError as error:
                    raise CommandError(f"Roles: {error}. Run `manage.py migrate` first.") from error
                self._clinic(seeds["clinic.toml"])
                self._report(
                    "Medication classes",
                    *seeds["medication_classes.toml"].each("classes", medication_class_seed),
                )
                self._report(
                    "Treatment sites",
                    *seeds["treatment_sites.toml"].each("sites", treatment_site_seed),
                )
                self._report(
                    "Adverse-event types",
                    *seeds["adverse_event_types.toml"].each("types", adverse_event_type_seed),
                )
                self._report(
                    "Follow-up rules",
                    *seeds["followup_rules.toml"].each("rules", followup_rule_seed),
                )
            if demo:
                self._demo(seeds["demo.toml"])
        self.stdout.write(self.style.SUCCESS("Seed data loaded."))

    def _report(self, what: str, objects: list, new: int) -> None:
        self.stdout.write(f"{what}: {len(objects)} in the files, {new} new")

    def _clinic(self, seed: SeedFile) -> None:
        _, created = seed.apply("[clinic]", seed.table("clinic"), clinic_seed)
        self.stdout.write(f"Clinic profile: {'created' if created else 'kept as it is'}")
        self._report("Locations", *seed.each("locations", location_seed))

    def _demo(self, seed: SeedFile) -> None:
        password = seed.data.get("password")
        if not isinstance(password, str) or not password:
            raise CommandError(f'{seed.name}: needs a top-level password = "..."')
        with pghistory.context(source=DEMO_SOURCE):
            users, new = seed.each("users", staff_user_seed, password=password)
            self._report("Demo staff accounts", users, new)
            names = ", ".join(user.username for user in users)
            self.stdout.write(f"  sign in as {names} with the password in {seed.name}")
            self._report("Demo manufacturers", *seed.each("manufacturers", manufacturer_seed))
            self._report("Demo products", *seed.each("products", product_seed))
            self._report("Demo lots", *seed.each("lots", _lot_with_relative_dates))
        recorder = next((u for u in users if u.groups.filter(name=CLINICIAN).exists()), None)
        if recorder is None:
            raise CommandError(f"{seed.name}: needs a clinician user to record demo patients")
        # Each demo patient and visit opens its own history context (in _demo_patient):
        # one context around them all would name one actor for every write in it.
        self._report("Demo patients", *seed.each("patients", _demo_patient, user=recorder))


def _lot_with_relative_dates(
    *, received_days_ago: int, expires_in_days: int, **lot: Any
) -> tuple[Any, bool]:
    # Relative to today, so a demo loaded next year does not start with expired stock.
    today = timezone.localdate()
    return lot_seed(
        received_on=today - datetime.timedelta(days=received_days_ago),
        expiry_date=today + datetime.timedelta(days=expires_in_days),
        **lot,
    )


def _demo_patient(
    *, user, medications: list[dict], visits: Sequence[dict] = (), **fields: Any
) -> tuple[Any, bool]:
    same = possible_duplicates(
        first_name=fields["first_name"],
        last_name=fields["last_name"],
        date_of_birth=fields["date_of_birth"],
    )
    if same:
        return same[0], False
    with pghistory.context(source=DEMO_SOURCE):
        patient = patient_register(by=user, **fields)
        for medication in medications:
            code = medication.pop("class")
            medication_class = MedicationClass.objects.filter(code=code).first()
            if medication_class is None:
                raise ValidationError({"medications": f"Unknown medication class {code!r}."})
            medication_add(
                by=user, patient=patient, medication_class=medication_class, **medication
            )
    # Oldest first, as they happened: a later visit supersedes an earlier repeat session.
    for visit in sorted(visits, key=lambda v: -v["days_ago"]):
        with pghistory.context(source=DEMO_SOURCE):
            demo_visit_record(user=user, patient=patient, **visit)
    return patient, True
