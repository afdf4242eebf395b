"""Clinical documentation in a real browser: a consent signed on a phone-size screen with
a signature drawn on the canvas, archived as a PDF; a phone photo carrying GPS uploaded to
a visit and stored without it; baseline and follow-up photos side by side."""

import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from apps.consents.models import PhotoUse, SignedConsent
from apps.consents.services import consent_form_create, consent_sign
from apps.photos.models import Photo
from apps.photos.services import photo_add
from exotrack import roles
from tests.builders import BODY, drawn_signature, local
from tests.e2e.browser import TIMEOUT_MS
from tests.factories import DoseFactory, PatientFactory, UserFactory, VisitFactory
from tests.photos.helpers import phone_photo, upload

pytestmark = pytest.mark.e2e


def _photo_shown(page: Page) -> None:
    """Wait until the page's photo has arrived and decoded (the page itself first: a
    click's navigation may still be on its way)."""
    expect(page.locator("figure img")).to_be_visible()
    page.wait_for_function(
        "() => { const img = document.querySelector('figure img');"
        " return img !== null && img.complete && img.naturalWidth > 0; }"
    )


PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def clinic():
    manager = UserFactory(role=roles.MANAGER)
    return {
        "nurse": UserFactory(role=roles.NURSE, first_name="Nina", last_name="Nurse"),
        "patient": PatientFactory(first_name="Ada", last_name="Lovelace"),
        "version": consent_form_create(
            title="Knee exosome treatment", body=BODY, site_categories=["joint"], by=manager
        ),
    }


@pytest.fixture
def phone(browser: Browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _draw_signature(page: Page) -> None:
    pad = page.locator("canvas[data-signature-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 25):
        x = box["x"] + 20 + step * (box["width"] - 40) / 24
        y = box["y"] + box["height"] * (0.3 if step % 2 else 0.7)
        page.mouse.move(x, y, steps=3)
    page.mouse.up()


def _fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_consent_is_signed_on_a_phone_with_a_drawn_signature(phone, live_server, login, clinic):
    patient = clinic["patient"]
    login(phone, live_server, clinic["nurse"])
    phone.goto(f"/patients/{patient.pk}/")
    phone.get_by_role("link", name="Take a consent").click()
    phone.get_by_role("button", name="Show the form to the patient").first.click()
    expect(phone.get_by_role("heading", name="Knee exosome treatment")).to_be_visible()
    expect(phone.locator("article")).to_contain_text("I, Ada Lovelace, agree")
    assert _fits(phone)

    # An untouched box is pointed out, and nothing is signed.
    phone.get_by_label("Clinical record only").check()
    phone.get_by_label("Type your full name").fill("Ada Lovelace")
    phone.get_by_role("button", name="Sign the consent").click()
    summary = phone.locator("[data-error-summary]")
    expect(summary).to_contain_text("the box is still empty")
    expect(summary).to_be_focused()
    assert not SignedConsent.objects.exists()

    phone.get_by_label("Clinical record only").check()
    _draw_signature(phone)
    phone.get_by_role("button", name="Sign the consent").click()
    expect(phone.get_by_text("signed and archived")).to_be_visible()
    consent = SignedConsent.objects.get()
    assert consent.witness == clinic["nurse"] and consent.photo_use == PhotoUse.RECORD
    expect(phone.locator("img.signature")).to_be_visible()
    assert _fits(phone)

    pdf = phone.request.get(f"/consents/{consent.pk}/pdf/")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")
    with phone.expect_popup() as opened:
        phone.get_by_role("link", name="Open the PDF to print").click()
    assert opened.value.url.endswith(f"/consents/{consent.pk}/pdf/")


def test_a_photo_with_gps_is_stored_without_it(page: Page, live_server, login, clinic):
    patient = clinic["patient"]
    consent_sign(
        patient=patient,
        version=clinic["version"],
        product=None,
        signed_name="Ada Lovelace",
        signature=drawn_signature(),
        photo_use=PhotoUse.RECORD,
        by=clinic["nurse"],
    )
    dose = DoseFactory(visit=VisitFactory(patient=patient))
    login(page, live_server, clinic["nurse"])
    page.goto(f"/treatments/visits/{dose.visit_id}/")
    page.get_by_role("link", name="Add a photo").click()
    page.get_by_label("View").fill("front")
    page.locator("input[type=file]").set_input_files(
        {"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": phone_photo((800, 600))}
    )
    page.get_by_role("button", name="Add the photo").click()
    expect(page.get_by_text("location data and camera details removed")).to_be_visible()
    photo = Photo.objects.get()
    _photo_shown(page)
    # Turned upright as the camera's orientation said: 800 x 600 becomes 600 x 800.
    assert page.locator("figure img").evaluate("img => img.naturalWidth") == 600

    from exotrack.private_files import private_storage

    with private_storage().open(photo.image_name) as stored:
        image = Image.open(io.BytesIO(stored.read()))
    assert not image.getexif() and image.getexif().get_ifd(0x8825) == {}


def test_baseline_and_follow_up_photos_line_up(page: Page, live_server, login, clinic):
    patient = clinic["patient"]
    consent_sign(
        patient=patient,
        version=clinic["version"],
        product=None,
        signed_name="Ada Lovelace",
        signature=drawn_signature(),
        photo_use=PhotoUse.RECORD,
        by=clinic["nurse"],
    )
    today = timezone.localdate()
    dose = DoseFactory(
        visit=VisitFactory(patient=patient, visited_at=local(today - datetime.timedelta(days=42)))
    )
    for days_ago in (42, 0):
        photo_add(
            dose=dose,
            taken_on=today - datetime.timedelta(days=days_ago),
            upload=upload(phone_photo()),
            by=clinic["nurse"],
        )
    login(page, live_server, clinic["nurse"])
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_role("link", name="Compare photos of the knee (left)").click()
    cards = page.locator("ol.compare-row > li")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("Baseline")
    expect(cards.nth(1)).to_contain_text("Day 42")
    # Both thumbnails arrive through the access-checked view.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.compare-row img')].every(i => i.naturalWidth > 0)"
    )
    page.set_viewport_size(PHONE)
    assert _fits(page)


def test_a_visit_for_a_site_the_consent_does_not_cover_asks_for_one(
    page: Page, live_server, login, clinic
):
    from decimal import Decimal

    from apps.treatments.models import Visit
    from tests.factories import LocationFactory, LotFactory, TreatmentSiteFactory

    clinician = UserFactory(first_name="Cleo", last_name="Park", role=roles.CLINICIAN)
    LocationFactory(name="Main clinic")
    TreatmentSiteFactory(name="Knee")
    lot = LotFactory(vials_received=10, labelled_billions_per_vial=Decimal("5"))
    face_only = consent_form_create(
        title="Face treatment", body=BODY, site_categories=["face"], by=UserFactory()
    )
    consent_sign(
        patient=clinic["patient"],
        version=face_only,
        product=None,
        signed_name="Ada Lovelace",
        signature=drawn_signature(),
        photo_use=PhotoUse.RECORD,
        by=clinic["nurse"],
    )
    login(page, live_server, clinician)
    page.goto(f"/patients/{clinic['patient'].pk}/")
    page.get_by_role("link", name="Record a visit").click()
    page.get_by_label("Location").select_option(label="Main clinic")
    page.get_by_label("Clinician").select_option(label="Cleo Park")
    page.get_by_label("Indication").fill("Osteoarthritis, left knee")
    page.locator('select[name="doses-0-site"]').select_option(label="Knee")
    page.locator('select[name="doses-0-lot"]').select_option(str(lot.pk))
    page.locator('select[name="doses-0-laterality"]').select_option("left")
    page.locator('input[name="doses-0-billions"]').fill("4")
    page.get_by_role("button", name="Record visit").click()

    warnings = page.locator("#visit-warnings")
    expect(warnings).to_contain_text("No signed consent covers the joint treatment")
    take = warnings.get_by_role("link", name="Take the consent now (opens a new tab)")
    expect(take).to_have_attribute("href", f"/consents/patients/{clinic['patient'].pk}/sign/")
    assert not Visit.objects.exists()

    page.get_by_label("Reason for going ahead").fill("Paper consent signed today, to be scanned")
    page.get_by_role("button", name="Record visit").click()
    expect(page.locator(".messages")).to_contain_text("Visit recorded for Ada Lovelace")
    expect(page.locator("#visit-consents")).to_contain_text("None: recorded without")


def test_two_tapped_injection_points_show_on_the_visit_page(page: Page, live_server, login, clinic):
    dose = DoseFactory(visit=VisitFactory(patient=clinic["patient"]))
    login(page, live_server, clinic["nurse"])
    page.goto(f"/treatments/visits/{dose.visit_id}/")
    page.get_by_role("link", name="Mark injection points").click()
    diagram = page.locator("[data-map-editor] svg.diagram")
    box = diagram.bounding_box()
    diagram.click(position={"x": box["width"] * 0.4, "y": box["height"] * 0.45})
    diagram.click(position={"x": box["width"] * 0.6, "y": box["height"] * 0.5})
    expect(page.locator("[data-point-list] li")).to_have_count(2)
    page.get_by_label("Share of the dose at point 1 (%)").fill("60")
    page.get_by_label("Share of the dose at point 1 (%)").blur()
    page.get_by_role("button", name="Save the map").click()
    expect(page.get_by_text("Injection map saved.")).to_be_visible()
    section = page.locator("#injection-maps")
    expect(section.locator("circle")).to_have_count(2)
    expect(section).to_contain_text("1 · 60%")
    page.set_viewport_size(PHONE)
    assert _fits(page)


def test_a_patient_sends_a_photo_from_a_phone_and_a_nurse_accepts_it(
    phone, page: Page, live_server, login, clinic
):
    from django.urls import reverse

    from apps.followups.models import Kind
    from apps.followups.tokens import self_report_token
    from apps.photos.models import SentPhoto
    from tests.factories import FollowUpFactory

    patient = clinic["patient"]
    consent_sign(
        patient=patient,
        version=clinic["version"],
        product=None,
        signed_name="Ada Lovelace",
        signature=drawn_signature(),
        photo_use=PhotoUse.RECORD,
        by=clinic["nurse"],
    )
    visit = VisitFactory(patient=patient, visited_at=timezone.now() - datetime.timedelta(days=14))
    DoseFactory(visit=visit)
    follow_up = FollowUpFactory(visit=visit, kind=Kind.CHECK_IN)
    phone.goto(
        reverse("patient_links:self-report", kwargs={"token": self_report_token(follow_up.pk)})
    )
    phone.get_by_label("How much pain do you have now, from 0 to 10?").fill("2")
    phone.get_by_label("2 · Much improved").check()
    for question in ["cold sore", "redness", "fever", "dizzy"]:
        phone.locator("fieldset", has_text=question).get_by_label("No", exact=True).check()
    photo = phone.get_by_label("A photo of the treated area (optional)")

    # A file renamed to look like a photo is refused beside the question; nothing is kept.
    photo.set_input_files({"name": "knee.jpg", "mimeType": "image/jpeg", "buffer": b"%!PS-Adobe"})
    phone.get_by_role("button", name="Send my answers").tap()
    expect(phone.locator("fieldset", has_text="A photo of")).to_contain_text(
        "This file is not a photo we can read"
    )
    assert not SentPhoto.objects.exists()
    assert _fits(phone)

    photo.set_input_files(
        {"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": phone_photo((800, 600))}
    )
    phone.get_by_role("button", name="Send my answers").tap()
    expect(
        phone.get_by_text("Your answers have reached the clinic, with your photo.")
    ).to_be_visible()
    sent = SentPhoto.objects.get()

    login(page, live_server, clinic["nurse"])
    page.goto(reverse("followups:worklist"))
    waiting = page.locator("#sent-photos-waiting")
    expect(waiting).to_contain_text("Ada Lovelace")
    waiting.get_by_role("link", name="Review").click()
    _photo_shown(page)
    page.get_by_label("View").fill("front")
    page.get_by_role("button", name="Accept the photo").click()
    expect(page.get_by_text("Photo taken into the record.")).to_be_visible()
    expect(page.locator("figcaption")).to_contain_text("Sent by the patient")
    sent.refresh_from_db()
    assert sent.review == SentPhoto.Review.ACCEPTED and sent.photo.view == "front"
