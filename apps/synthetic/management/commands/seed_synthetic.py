"""`manage.py seed_synthetic --patients N [--seed S]`: a synthetic clinic for load tests.

Builds N patients with medications and risk profiles, about 5.5 visits and 10 doses
each over the last two years, a few hundred lots of six synthetic products, and the
stock ledger those visits imply (a 'received' movement per lot, a 'used' movement and
a VialsOpened row per visit, a 'returned' one for the few voided visits), and what
followed the visits: outcome assessments of pain-scored sites, adverse events linked to
their doses, and the follow-ups of the last 400 days with their reminder deliveries.
Rows go in with COPY, in one transaction: a failure saves nothing.

Refuses to run when the database already holds patients, visits or lots: synthetic
records must never mix with a clinic's real ones, and the refusal makes the result
depend on --seed alone (the same --seed, N and day give the same clinic).

History: the pghistory triggers of the loaded tables are switched off for this
transaction only (pgtrigger's own `pgtrigger.ignore` setting), so the load does not
write a second copy of every row; synthetic rows therefore start without history.
The ledger trigger is switched off as well and the lots' balances are set once from
the ledger (on hand = sum of movements), instead of a million single-row updates; so
are the reports' episode triggers, and the episodes table is rebuilt once at the end.
"""

import secrets
import time
import zoneinfo

import pghistory
import pgtrigger
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.services import staff_user_seed
from apps.clinic.models import Location
from apps.followups.models import FollowUp, FollowUpRule, ReminderDelivery
from apps.inventory.models import Lot, StockMovement
from apps.inventory.services import manufacturer_seed, product_seed
from apps.outcomes.models import OutcomeAssessment
from apps.patients.models import Medication, MedicationClass, Patient
from apps.reports.episodes import defer_episodes, rebuild_episodes
from apps.reports.models import Episode
from apps.safety.models import AdverseEvent, AdverseEventDose, AdverseEventType
from apps.synthetic.aftercare import (
    EVENT_CHANCES,
    EventTypeSpec,
    RuleSpec,
)
from apps.synthetic.clinic import (
    COLUMNS,
    ProductSpec,
    SiteSpec,
    SyntheticClinic,
)
from apps.treatments.models import Dose, TreatmentSite, VialsOpened, Visit
from exotrack.roles import CLINICIAN

# Table key in the generator -> model, in the order rows must reach the database.
LOAD_ORDER = {
    "lots": Lot,
    "patients": Patient,
    "medications": Medication,
    "visits": Visit,
    "movements": StockMovement,
    "vials_opened": VialsOpened,
    "doses": Dose,
    "assessments": OutcomeAssessment,
    "adverse_events": AdverseEvent,
    "adverse_event_doses": AdverseEventDose,
    "follow_ups": FollowUp,
    "deliveries": ReminderDelivery,
}
# (manufacturer, product, lot number prefix, labelled billions per vial, for systemic use)
PRODUCTS = (
    ("Meridian Vesicle Therapeutics", "MeriVes 2", "MV", 2, False),
    ("Meridian Vesicle Therapeutics", "MeriVes 10", "MX", 10, True),
    ("Aurora Cell Sciences", "AuroraExo 5", "AE", 5, False),
    ("Bluestone Biologics", "BlueExo 3", "BE", 3, False),
    ("Bluestone Biologics", "BlueExo 25", "BX", 25, True),
    ("Keystone Regenerative", "KeyVes 5", "KV", 5, False),
)
CLINICIANS = (
    ("Harriet", "Lowe"),
    ("Samir", "Haddad"),
    ("Ingrid", "Solberg"),
    ("Tomas", "Reyna"),
    ("Grace", "Oduya"),
    ("Peter", "Lindqvist"),
)
COPY_CHUNK = 20_000


def _gtin(serial: int) -> str:
    """A GTIN-14 in the GS1 example range, with its check digit."""
    body = f"0950611{serial:06d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


class Command(BaseCommand):
    help = (
        "Build a synthetic clinic (patients, medications, lots, visits, doses, stock "
        "ledger) directly in PostgreSQL for load tests. Refuses if patients, visits or "
        "lots already exist."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--patients", type=int, required=True, help="How many patients.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed: the same seed gives the same clinic."
        )

    def handle(self, *args, patients: int, seed: int, **options) -> None:
        if patients < 1:
            raise CommandError("--patients must be at least 1.")
        started = time.monotonic()
        with transaction.atomic():
            self._refuse_if_not_empty()
            self._catalogue()
            with pghistory.context(source="manage.py seed_synthetic"):
                clinician_ids = self._clinicians()
                products = self._products()
            sites, classes, locations = self._seeded_reference_data()
            with connection.cursor() as cursor:
                self._lock_and_silence_triggers(cursor)
                clinic = SyntheticClinic(
                    seed=seed,
                    patients=patients,
                    today=timezone.localdate(),
                    zone=zoneinfo.ZoneInfo(settings.TIME_ZONE),
                    sites=sites,
                    products=products,
                    medication_class_ids=classes,
                    location_ids=locations,
                    clinician_ids=clinician_ids,
                    id_bases=self._reserve_id_bases(cursor),
                    follow_up_rules=self._follow_up_rules(),
                    event_types=self._event_types(),
                )
                tables = clinic.build()
                generated = time.monotonic()
                self.stdout.write(f"Generated in {generated - started:.1f} s")
                for key, model in LOAD_ORDER.items():
                    copy_started = time.monotonic()
                    rows = getattr(tables, key)
                    self._copy(cursor, model, COLUMNS[key], rows)
                    self._move_sequence(cursor, model)
                    self.stdout.write(
                        f"{model._meta.db_table}: {len(rows)} rows "
                        f"in {time.monotonic() - copy_started:.1f} s"
                    )
                self._balance_lots(cursor)
                # Statistics first: the rebuild joins a million doses to their visits,
                # assessments and events, and planned on empty-table estimates it ran
                # nested loops for many minutes. ANALYZE inside the transaction counts
                # the rows this transaction wrote.
                self._analyze(cursor, LOAD_ORDER.values())
                episodes_started = time.monotonic()
                episodes = rebuild_episodes()
                self.stdout.write(
                    f"reports_episode: {episodes} rows "
                    f"in {time.monotonic() - episodes_started:.1f} s"
                )
                cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
                committing = time.monotonic()
        loaded = time.monotonic()
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: they are checked here.
        self.stdout.write(f"Committed (foreign keys checked) in {loaded - committing:.1f} s")
        with connection.cursor() as cursor:
            self._analyze(cursor, [Episode])
        self.stdout.write(
            self.style.SUCCESS(
                f"Synthetic clinic loaded in {loaded - started:.1f} s "
                f"(analysed in {time.monotonic() - loaded:.1f} s more)."
            )
        )

    def _analyze(self, cursor, models) -> None:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")

    def _refuse_if_not_empty(self) -> None:
        present = [
            str(model._meta.verbose_name_plural)
            for model in (Patient, Visit, Lot)
            if model.objects.exists()
        ]
        if present:
            raise CommandError(
                f"This database already holds {', '.join(present)}. Synthetic records go only "
                "into an empty clinic database (create one, migrate, then run this)."
            )

    def _catalogue(self) -> None:
        if not (
            TreatmentSite.objects.exists()
            and MedicationClass.objects.exists()
            and Location.objects.exists()
            and AdverseEventType.objects.exists()
            and FollowUpRule.objects.exists()
        ):
            call_command("seed", stdout=self.stdout)

    def _seeded_reference_data(self) -> tuple[list[SiteSpec], dict[str, int], list[int]]:
        sites = [
            SiteSpec(
                id=site.id,
                name=site.name,
                category=site.category,
                dose_min=float(site.dose_min_billions),
                dose_max=float(site.dose_max_billions),
                route=site.default_route,
                laterality_applies=site.laterality_applies,
            )
            for site in TreatmentSite.objects.filter(active=True).order_by("id")
        ]
        classes = dict(MedicationClass.objects.values_list("code", "id"))
        locations = list(
            Location.objects.filter(active=True).order_by("id").values_list("id", flat=True)
        )
        if not sites or not locations:
            raise CommandError("No active treatment sites or locations to treat patients at.")
        return sites, classes, locations

    def _follow_up_rules(self) -> list[RuleSpec]:
        # Once-only rules: repeat sessions depend on outcomes the synthetic clinic lacks.
        return [
            RuleSpec(
                id=rule.id,
                kind=rule.kind,
                offset_days=rule.offset_days,
                channel=rule.channel,
                site_categories=tuple(rule.site_categories),
            )
            for rule in FollowUpRule.objects.filter(active=True, repeat="").order_by("id")
        ]

    def _event_types(self) -> list[EventTypeSpec]:
        return [
            EventTypeSpec(
                id=event_type.id,
                code=event_type.code,
                name=event_type.name,
                per_dose=EVENT_CHANCES[event_type.code][0],
                chance=EVENT_CHANCES[event_type.code][1],
                action=EVENT_CHANCES[event_type.code][2],
            )
            for event_type in AdverseEventType.objects.filter(
                code__in=EVENT_CHANCES, active=True
            ).order_by("id")
        ]

    def _clinicians(self) -> list[int]:
        # Accounts nobody can sign in to: the password is thrown away at once.
        users = [
            staff_user_seed(
                username=f"synthetic-clinician-{number}",
                role=CLINICIAN,
                password=secrets.token_urlsafe(32),
                first_name=first,
                last_name=last,
            )[0]
            for number, (first, last) in enumerate(CLINICIANS, start=1)
        ]
        for user in users:
            if user.has_usable_password():
                user.set_unusable_password()
                user.save(update_fields=["password"])
        return [user.id for user in users]

    def _products(self) -> list[ProductSpec]:
        specs = []
        for serial, (maker, name, prefix, per_vial, systemic) in enumerate(PRODUCTS, start=1):
            manufacturer_seed(
                name=maker, contact=f"Quality department, quality@{prefix.lower()}.example"
            )
            product, _ = product_seed(
                manufacturer=maker,
                name=name,
                gtin=_gtin(serial),
                regulatory_status="Investigational; not FDA-approved",
                storage_min_celsius=-80 if systemic else 2,
                storage_max_celsius=-60 if systemic else 8,
            )
            specs.append(
                ProductSpec(
                    id=product.id, lot_prefix=prefix, labelled_per_vial=per_vial, systemic=systemic
                )
            )
        return specs

    def _lock_and_silence_triggers(self, cursor) -> None:
        tables = ", ".join(
            connection.ops.quote_name(model._meta.db_table) for model in LOAD_ORDER.values()
        )
        # Nobody else writes these tables while ids are handed out from their sequences.
        cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        ignored = [
            trigger.get_pgid(model)
            for model, trigger in pgtrigger.registered()
            if model in LOAD_ORDER.values()
            and (
                isinstance(trigger, pghistory.trigger.Event)
                or (model is StockMovement and trigger.name == "apply_movement_to_lot")
            )
        ]
        # Transaction-local (is_local = true): ends with this transaction whatever happens.
        cursor.execute(
            "SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + ",".join(ignored) + "}"]
        )
        # The reports' episodes are rebuilt once at the end instead of after each COPY.
        defer_episodes()

    def _reserve_id_bases(self, cursor) -> dict[str, int]:
        bases = {}
        for key, model in LOAD_ORDER.items():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [model._meta.db_table]
            )
            bases[key] = cursor.fetchone()[0]
        return bases

    def _copy(self, cursor, model, columns: list[str], lines: list[str]) -> None:
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for start in range(0, len(lines), COPY_CHUNK):
                copy.write("".join(lines[start : start + COPY_CHUNK]))

    def _move_sequence(self, cursor, model) -> None:
        # Later inserts through the application continue after the synthetic ids.
        table = connection.ops.quote_name(model._meta.db_table)
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))",  # noqa: S608 - a model's table name
            [model._meta.db_table],
        )

    def _balance_lots(self, cursor) -> None:
        cursor.execute(
            """
            UPDATE inventory_lot AS lot SET vials_on_hand = ledger.total
            FROM (SELECT lot_id, sum(vials) AS total FROM inventory_stockmovement GROUP BY lot_id)
                AS ledger
            WHERE ledger.lot_id = lot.id
            """
        )
