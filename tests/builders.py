"""Shared builders and checks of the test suite: the clinical situations several test
modules start from (a treated knee, a recorded visit, a dose from a lot) and the checks
they end with. Model rows come from tests/factories.py; this module combines them."""

import base64
import datetime
import io
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.apps import apps as django_apps
from django.utils import timezone
from PIL import Image, ImageDraw
from rest_framework.test import APIClient

from apps.consents.models import PhotoUse
from apps.consents.services import consent_sign
from apps.followups.models import Channel, FollowUp
from apps.inventory.models import Lot
from apps.treatments.models import Dose, Visit
from apps.treatments.services import DoseInput, visit_record
from tests.factories import DoseFactory, PatientFactory, TreatmentSiteFactory, VisitFactory

# --- Times --------------------------------------------------------------------------


def local(day: datetime.date, hour: int = 10) -> datetime.datetime:
    """`hour` o'clock on `day` in the clinic's time zone."""
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_default_timezone()
    )


def earlier_today(*, minutes: int = 60) -> datetime.datetime:
    """A moment of the clinic's day already past: `minutes` ago, or the day's midnight
    when the day began more recently (just after midnight, an hour ago was yesterday,
    and "today's" visits were yesterday's)."""
    now = timezone.now()
    midnight = local(timezone.localdate(now), hour=0)
    return max(now - datetime.timedelta(minutes=minutes), midnight)


# --- Visits and doses ---------------------------------------------------------------


def record(*, by, patient, location, clinician, doses, **extra) -> Visit:
    """A valid visit recorded through the service, unless `extra` says otherwise."""
    fields = {
        "visited_at": earlier_today(),
        "indication": "Osteoarthritis, knee",
        "consent_recorded": True,
        "consent_form_version": "v3",
    }
    fields.update(extra)
    return visit_record(
        by=by, patient=patient, location=location, clinician=clinician, doses=doses, **fields
    )


def visit_api_body(*, patient, location, clinician, doses: list[dict], **extra) -> dict:
    """A valid POST /api/v1/visits/ body of earlier today, unless `extra` says otherwise."""
    return {
        "patient": patient.pk,
        "visited_at": earlier_today().isoformat(),
        "location": location.pk,
        "clinician": clinician.pk,
        "indication": "Osteoarthritis, both knees",
        "consent_recorded": True,
        "consent_form_version": "v3",
        "doses": doses,
        **extra,
    }


def visit_form_data(*, location, clinician, dose: dict, **extra) -> dict:
    """The visit page's form posted with one dose row (`dose`: the row's fields)."""
    return {
        "visited_at": timezone.localtime(earlier_today()).strftime("%Y-%m-%dT%H:%M"),
        "location": location.pk,
        "clinician": clinician.pk,
        "indication": "Osteoarthritis, knee",
        "consent_recorded": "on",
        "consent_form_version": "v3",
        "doses-TOTAL_FORMS": "1",
        "doses-INITIAL_FORMS": "0",
        **{f"doses-0-{name}": value for name, value in dose.items()},
        **extra,
    }


def knee_dose(site, lot, billions="4", side="left") -> DoseInput:
    return DoseInput(site=site, lot_id=lot.pk, billions=Decimal(billions), laterality=side)


def treated(days_ago: int, *, baseline_pain: int | None = 6, site=None, patient=None) -> Dose:
    """A dose given `days_ago` clinic days ago (at 10:00 clinic time)."""
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    visited_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
    visit = VisitFactory(visited_at=visited_at, **({"patient": patient} if patient else {}))
    return DoseFactory(
        visit=visit, site=site or TreatmentSiteFactory(), baseline_pain=baseline_pain
    )


def given(lot: Lot, patient=None, *, days_ago: int = 1, voided: bool = False, **dose) -> Dose:
    """A dose from `lot` at a visit `days_ago` days back."""
    visit = VisitFactory(
        patient=patient or PatientFactory(),
        visited_at=timezone.now() - datetime.timedelta(days=days_ago),
        voided_at=timezone.now() if voided else None,
    )
    return DoseFactory(visit=visit, lot=lot, **dose)


# --- Vial labels --------------------------------------------------------------------


def _gtin(body: str) -> str:
    """A 14-digit GTIN with its GS1 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def vial_code(lot: Lot) -> str:
    """The vial label as printed, after giving the lot's product a valid GTIN."""
    product = lot.product
    product.gtin = _gtin(f"0950600{product.pk:06d}")
    product.save()
    return f"(01){product.gtin}(17){lot.expiry_date:%y%m%d}(10){lot.lot_number}"


# --- Requests -----------------------------------------------------------------------


def login_api(client: APIClient, user) -> APIClient:
    client.force_authenticate(user=user)
    return client


# --- Checks -------------------------------------------------------------------------


def errors(response) -> dict[str, list[str]]:
    """The drf-standardized-errors body as {field: [messages]}."""
    found: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["attr"], []).append(error["detail"])
    return found


def assert_on_call_list(follow_up: FollowUp) -> None:
    """Still to do, by a staff call, with no e-mail to come."""
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.PENDING
    assert follow_up.channel == Channel.CALL
    assert follow_up.reminder_state == FollowUp.ReminderState.NONE
    assert follow_up.next_reminder_at is None
    assert "call instead" in follow_up.note


# Apps whose rows are the clinic's records; their pghistory event tables live in the same
# apps, so counting every model of these apps counts the history too.
CLINICAL_APPS = ("clinic", "patients", "inventory", "treatments", "safety", "followups", "outcomes")


def clinic_state() -> dict[str, dict]:
    """Row counts of every clinical table and its history, and the stock of every lot."""
    rows = {
        model._meta.label: model._base_manager.count()
        for label in CLINICAL_APPS
        for model in django_apps.get_app_config(label).get_models()
        if not model._meta.proxy
    }
    stock = dict(Lot.objects.values_list("pk", "vials_on_hand"))
    return {"rows": rows, "stock": stock}


@contextmanager
def assert_nothing_changed() -> Iterator[None]:
    """A refused request leaves no row, no history event and no stock movement behind."""
    before = clinic_state()
    yield
    after = clinic_state()
    changed = {
        f"{part} {name}": (before[part].get(name), after[part].get(name))
        for part in before
        for name in before[part].keys() | after[part].keys()
        if before[part].get(name) != after[part].get(name)
    }
    assert not changed, f"changed (before, after): {changed}"


# A consent form's body with every placeholder the record fills.
BODY = """# Treatment with {product}

I, {patient}, agree to treatment at {clinic} on {date}.

**Regulatory status:** {regulatory_status}

Risks include:

- infection (about 1 in 2,000)
- a cold sore (about 1 in 20)
"""


def drawn_signature(width: int = 600, height: int = 200, *, ink: bool = True) -> str:
    """A canvas PNG as the signature pad sends it: transparent, with a dark scribble."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if ink:
        draw = ImageDraw.Draw(image)
        draw.line([(40, 150), (120, 40), (200, 160), (320, 50), (480, 140)], fill="#111", width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def consent_signed(version, patient, *, by):
    """The patient's signature on a consent version, taken in the clinic by `by` (photos
    kept for the record)."""
    return consent_sign(
        patient=patient,
        version=version,
        product=None,
        signed_name=patient.full_name,
        signature=drawn_signature(),
        photo_use=PhotoUse.RECORD,
        by=by,
    )
