"""Recording visits in a real browser: scanning vials, refusing an expired lot, a
clinician acknowledging a dose above the site's range, and how few fields a plain
two-site visit takes."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from apps.inventory.models import Lot
from apps.treatments.models import Route, Visit
from exotrack import roles
from tests.builders import vial_code
from tests.factories import (
    LocationFactory,
    LotFactory,
    PatientFactory,
    TreatmentSiteFactory,
    UserFactory,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def clinic():
    return {
        "clinician": UserFactory(
            username="cleo", first_name="Cleo", last_name="Park", role=roles.CLINICIAN
        ),
        "nurse": UserFactory(
            username="nina", first_name="Nina", last_name="Rossi", role=roles.NURSE
        ),
        "location": LocationFactory(name="Main clinic"),
        "knee": TreatmentSiteFactory(),  # 3-5 bn, left/right applies
        "patient": PatientFactory(first_name="Ada", last_name="Lovelace"),
        "lot": LotFactory(vials_received=10, labelled_billions_per_vial=Decimal("5")),
    }


def _open_visit_form(page: Page, clinic) -> None:
    page.goto(f"/patients/{clinic['patient'].pk}/")
    page.get_by_role("link", name="Record a visit").click()
    expect(page.get_by_role("heading", name="Record a visit")).to_be_visible()
    page.get_by_label("Location").select_option(label="Main clinic")
    page.get_by_label("Clinician").select_option(label="Cleo Park")
    page.get_by_label("Indication").fill("Osteoarthritis, both knees")
    page.get_by_label("Consent recorded").check()
    page.get_by_label("Consent-form version").fill("v3")


def _scan(page: Page, row: int, code: str) -> None:
    scan = page.locator(f'input[name="doses-{row}-scan"]')
    scan.fill(code)
    scan.press("Enter")


def test_nurse_records_two_knees_from_a_scanned_vial_and_stock_drops(
    page: Page, live_server, login, clinic
):
    lot = clinic["lot"]
    login(page, live_server, clinic["nurse"])
    _open_visit_form(page, clinic)

    page.locator('select[name="doses-0-site"]').select_option(label="Knee")
    expect(page.locator('select[name="doses-0-route"]')).to_have_value("intra_articular")
    _scan(page, 0, vial_code(lot))
    expect(page.locator("#doses-0-row")).to_contain_text(f"lot {lot.lot_number} chosen")
    expect(page.locator('select[name="doses-0-lot"]')).to_have_value(str(lot.pk))
    page.locator('select[name="doses-0-laterality"]').select_option("left")
    page.locator('input[name="doses-0-billions"]').fill("4")

    page.get_by_role("button", name="Add another site").click()
    page.locator('select[name="doses-1-site"]').select_option(label="Knee")
    _scan(page, 1, vial_code(lot))
    expect(page.locator('select[name="doses-1-lot"]')).to_have_value(str(lot.pk))
    page.locator('select[name="doses-1-laterality"]').select_option("right")
    page.locator('input[name="doses-1-billions"]').fill("4")

    page.get_by_role("button", name="Record visit").click()
    expect(page.locator(".messages")).to_contain_text("Visit recorded for Ada Lovelace")
    expect(page.locator("#doses tbody tr")).to_have_count(2)
    expect(page.locator("#vials-opened")).to_contain_text(f"2 vials of {lot.product.name}")

    page.goto(f"/inventory/lots/{lot.pk}/")
    expect(page.locator("#vials-on-hand")).to_contain_text("8 of 10 received")
    assert Visit.objects.get().doses.count() == 2


def test_an_expired_vial_is_refused_with_a_visible_message(page: Page, live_server, login, clinic):
    expired = LotFactory(
        expiry_date=datetime.date(2021, 5, 1), received_on=datetime.date(2020, 1, 1)
    )
    login(page, live_server, clinic["nurse"])
    _open_visit_form(page, clinic)
    _scan(page, 0, vial_code(expired))
    alert = page.locator("#doses-0-row [role=alert]")
    expect(alert).to_have_text(f"Lot {expired.lot_number} expired on 2021-05-01.")
    expect(page.locator('select[name="doses-0-lot"]')).to_have_value("")
    assert Lot.objects.get(pk=expired.pk).vials_on_hand == expired.vials_received


def test_a_clinician_acknowledges_a_dose_above_the_sites_range(
    page: Page, live_server, login, clinic
):
    lot = clinic["lot"]
    login(page, live_server, clinic["clinician"])
    _open_visit_form(page, clinic)
    page.locator('select[name="doses-0-site"]').select_option(label="Knee")
    page.locator('select[name="doses-0-laterality"]').select_option("left")
    page.locator('select[name="doses-0-lot"]').select_option(str(lot.pk))
    page.locator('input[name="doses-0-billions"]').fill("8")
    page.get_by_role("button", name="Record visit").click()

    warnings = page.locator("#visit-warnings")
    expect(warnings).to_contain_text("Knee (left): 8 bn is outside its usual 3-5 bn.")
    assert not Visit.objects.exists()
    page.get_by_label("Reason for going ahead").fill("Bone-on-bone; agreed with the patient")
    page.get_by_role("button", name="Record visit").click()

    expect(page.locator(".messages")).to_contain_text("Visit recorded")
    expect(page.get_by_role("heading", name="Warnings", exact=True).locator("..")).to_contain_text(
        "Bone-on-bone; agreed with the patient"
    )
    lot.refresh_from_db()
    assert lot.vials_on_hand == 8


def test_an_earlier_visit_day_offers_the_lots_usable_then(page: Page, live_server, login, clinic):
    # Expired two days ago: usable for a visit recorded late from last week.
    lapsed = LotFactory(
        expiry_date=timezone.localdate() - datetime.timedelta(days=2),
        received_on=timezone.localdate() - datetime.timedelta(days=60),
    )
    login(page, live_server, clinic["nurse"])
    _open_visit_form(page, clinic)
    lot_picker = page.locator('select[name="doses-0-lot"]')
    expect(lot_picker.locator(f'option[value="{lapsed.pk}"]')).to_have_count(0)
    week_ago = datetime.datetime.now() - datetime.timedelta(days=7)
    page.get_by_label("Date and time").fill(week_ago.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Date and time").dispatch_event("change")
    expect(lot_picker.locator(f'option[value="{lapsed.pk}"]')).to_have_count(1)


class Filling:
    """Fills the form as a user would, counting each field they have to fill."""

    def __init__(self) -> None:
        self.fields = 0

    def fill(self, field: Locator, text: str) -> None:
        field.fill(text)
        self.fields += 1

    def choose(self, field: Locator, **option) -> None:
        field.select_option(**option)
        self.fields += 1

    def tick(self, field: Locator) -> None:
        field.check()
        self.fields += 1


def _row(page: Page, index: int, name: str) -> Locator:
    return page.locator(f'[name="doses-{index}-{name}"]')


def test_a_clinician_records_a_two_site_visit_in_at_most_twelve_fields(
    page: Page, live_server, login, clinic
):
    lot = clinic["lot"]
    face = TreatmentSiteFactory(
        name="Face",
        category="face",
        dose_min_billions=Decimal("2"),
        dose_max_billions=Decimal("3"),
        default_route=Route.INTRADERMAL,
        laterality_applies=False,
    )
    login(page, live_server, clinic["clinician"])
    page.goto(f"/patients/{clinic['patient'].pk}/")
    page.get_by_role("link", name="Record a visit").click()
    # Chosen already: the time (now), the clinic's only location, the signed-in clinician.
    expect(page.get_by_label("Date and time")).not_to_have_value("")
    expect(page.get_by_label("Location")).to_have_value(str(clinic["location"].pk))
    expect(page.get_by_label("Clinician")).to_have_value(str(clinic["clinician"].pk))
    filling = Filling()
    filling.fill(page.get_by_label("Indication"), "Osteoarthritis, left knee; facial skin")
    filling.tick(page.get_by_label("Consent recorded"))
    filling.fill(page.get_by_label("Consent-form version"), "v3")

    filling.choose(_row(page, 0, "site"), label="Knee")
    expect(page.locator("#id_doses-0-billions_helptext")).to_have_text("Usual 3\N{EN DASH}5 bn")
    expect(_row(page, 0, "billions")).to_have_accessible_description("Usual 3\N{EN DASH}5 bn")
    filling.choose(_row(page, 0, "laterality"), value="left")
    filling.choose(_row(page, 0, "lot"), value=str(lot.pk))
    filling.fill(_row(page, 0, "billions"), "4")

    page.get_by_role("button", name="Add another site").click()
    filling.choose(_row(page, 1, "site"), label="Face")
    expect(page.locator("#id_doses-1-billions_helptext")).to_have_text("Usual 2\N{EN DASH}3 bn")
    expect(_row(page, 1, "route")).to_have_value(Route.INTRADERMAL)
    filling.choose(_row(page, 1, "lot"), value=str(lot.pk))
    filling.fill(_row(page, 1, "billions"), "2")
    page.get_by_role("button", name="Record visit").click()

    expect(page.locator(".messages")).to_contain_text("Visit recorded for Ada Lovelace")
    assert filling.fields <= 12, f"{filling.fields} fields for a two-site visit"
    visit = Visit.objects.get()
    assert [(d.site, d.laterality, d.billions) for d in visit.doses.order_by("id")] == [
        (clinic["knee"], "left", Decimal("4.00")),
        (face, "na", Decimal("2.00")),
    ]
    assert not visit.warnings.exists()
    assert visit.clinician == clinic["clinician"]


def test_a_site_row_added_by_mistake_is_removed_and_the_others_are_recorded(
    page: Page, live_server, login, clinic
):
    lot = clinic["lot"]
    login(page, live_server, clinic["clinician"])
    _open_visit_form(page, clinic)
    # A single row cannot be removed: a visit records at least one site.
    expect(page.get_by_role("button", name="Remove site 1")).to_be_hidden()
    for index, side in ((0, "left"), (1, "left"), (2, "right")):
        if index:
            page.get_by_role("button", name="Add another site").click()
        _row(page, index, "site").select_option(label="Knee")
        _row(page, index, "laterality").select_option(side)
        _row(page, index, "lot").select_option(str(lot.pk))
        _row(page, index, "billions").fill(str(3 + index))

    # The second knee was the same left knee again: take its row out.
    page.get_by_role("button", name="Remove site 2").click()
    total = page.locator('input[name="doses-TOTAL_FORMS"]')
    expect(total).to_have_value("2")
    # The right knee's row moved up into the gap and kept what was typed.
    expect(page.get_by_role("group", name="Site 2")).to_be_visible()
    expect(_row(page, 1, "laterality")).to_have_value("right")
    expect(_row(page, 1, "billions")).to_have_value("5")
    expect(_row(page, 1, "site")).to_be_focused()
    expect(page.locator('[name^="doses-2-"]')).to_have_count(0)
    # A vial scanned into the moved row is read into that row, which can still be removed.
    _scan(page, 1, vial_code(lot))
    expect(page.locator("#doses-1-row")).to_contain_text(f"lot {lot.lot_number} chosen")
    expect(_row(page, 1, "billions")).to_have_value("5")
    expect(page.get_by_role("button", name="Remove site 2")).to_be_visible()

    page.get_by_role("button", name="Record visit").click()
    expect(page.locator(".messages")).to_contain_text("Visit recorded for Ada Lovelace")
    doses = Visit.objects.get().doses.order_by("id")
    assert [(d.laterality, d.billions) for d in doses] == [
        ("left", Decimal("3.00")),
        ("right", Decimal("5.00")),
    ]
