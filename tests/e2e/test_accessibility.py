"""Every page of the staff web UI, as the role that uses it, passes axe-core and fits the
screen at desktop (1366 px) and phone (390 px) width.

The demo clinic (`manage.py seed --demo`) gives every list and detail page real rows. Each
role signs in and follows the links it is shown, breadth first from the dashboard; a URL
pattern is checked once, by the first role that reaches it (clinician, nurse, front desk,
manager), so the suite stays short while a page only a manager sees is still checked as a
manager. The dashboard, whose panels differ by role, is checked as every role. Pages
reached only through a form (search results, a visit's record form...) are added as extra
start URLs; the confirm step, the answer to a POST, is checked by submitting its form.
"""

import time
import tomllib
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import Resolver404, resolve
from django.utils import timezone
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError

from apps.consents.services import consent_form_create
from apps.followups.models import Kind
from apps.followups.services.self_reports import SelfReportAnswers, self_report_submit
from apps.imports.services import patient_import_upload
from apps.injection_maps.services import PointInput, injection_map_save
from apps.inventory.models import Lot
from apps.photos.services import photo_add
from apps.treatments.models import Dose
from tests.builders import BODY, consent_signed
from tests.e2e.browser import TIMEOUT_MS, sign_in
from tests.factories import FollowUpFactory
from tests.photos.helpers import phone_photo, upload

User = get_user_model()

pytestmark = pytest.mark.e2e

WIDTHS = (1366, 390)
# What the clinic's staff would be stopped or badly slowed by; "moderate" and "minor" are
# advice, not failures.
FAILING_IMPACTS = {"serious", "critical"}
ROLES = ("clinician", "nurse", "frontdesk", "manager")
# Not pages of the staff UI, or not safe to follow: signing out ends the crawl's session,
# the admin and the API have their own UIs, static and media files are not pages.
SKIP_PREFIXES = (
    "/accounts/logout/",
    "/static/",
    "/media/",
    "/admin/",
    "/api/",
    "/fhir/",
    "/webauthn/",
    "/p/",
)
# A broken crawl (a sign-in that fails, a navigation that lost its links) reaches only a
# handful of pages; the demo clinic has about sixty.
MIN_PATTERNS = 45
MAX_SELECTORS = 3

_axe = Axe()


@dataclass
class Crawl:
    base_url: str
    checked: dict[str, str] = field(default_factory=dict)  # pattern -> role that checked it
    failures: list[str] = field(default_factory=list)


def _pattern(path: str) -> str | None:
    """`route name` of the Django URL pattern behind a path, or None if none matches."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return f"/{match.route} {match.view_name}"


# The elements that stick out past the window's right edge, leaving out those inside a box
# that scrolls or clips them (a wide table in its .table-wrap is fine), to name the culprit.
_OVERFLOWING = """() => {
  const clipped = (e) => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = [...document.body.querySelectorAll("*")]
    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5);
  // An absolutely placed element can escape its scrolling box: then name them all.
  const loose = out.filter((e) => !clipped(e));
  return (loose.length ? loose : out)
    .slice(0, 3)
    .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
      (typeof e.className === "string" && e.className
        ? "." + e.className.split(" ").join(".") : ""));
}"""


def _audit(page: Page, path: str, width: int) -> list[str]:
    """The serious and critical axe violations and the sideways scroll of the page as shown."""
    problems = []
    results = _axe.run(page)
    for violation in results.response["violations"]:
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        targets = [", ".join(node["target"]) for node in violation["nodes"][:MAX_SELECTORS]]
        problems.append(
            f"{path} @{width}px: {violation['id']} ({violation['impact']}, "
            f"{len(violation['nodes'])} nodes): {' | '.join(targets)}"
        )
    scroll_width, inner_width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    if scroll_width > inner_width:
        widest = page.evaluate(_OVERFLOWING)
        problems.append(
            f"{path} @{width}px: page is {scroll_width}px wide in a {inner_width}px window"
            f" (overflowing: {', '.join(widest)})"
        )
    return problems


def _links(page: Page, base_url: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    origin = urlsplit(base_url).netloc
    paths = []
    for href in hrefs:
        parts = urlsplit(urljoin(page.url, href))
        if parts.scheme not in ("http", "https") or parts.netloc != origin:
            continue
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def _crawl_as(browser: Browser, crawl: Crawl, username: str, password: str, extra: list[str]):
    context = browser.new_context(base_url=crawl.base_url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, username, password)
        assert urlsplit(page.url).path == "/", f"{username} did not reach the dashboard"
        _crawl(page, crawl, username, ["/", *extra])
    finally:
        context.close()


def _check_signed_out(browser: Browser, crawl: Crawl) -> None:
    context = browser.new_context(base_url=crawl.base_url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        # No links followed: from here they lead only to pages that need signing in.
        _crawl(context.new_page(), crawl, "signed out", SIGNED_OUT_PAGES, follow=False)
    finally:
        context.close()


def _crawl(page: Page, crawl: Crawl, role: str, start: list[str], follow: bool = True) -> None:
    tried: set[str] = set()  # patterns this role has opened (allowed or not)
    queue = deque(start)
    while queue:
        path = queue.popleft()
        route = path.split("?")[0]
        if route.startswith(SKIP_PREFIXES):
            continue
        pattern = _pattern(route)
        # A page another role checked is still opened, without the audit, for its links:
        # this role's links there may lead to pages only this role sees.
        if pattern is None or pattern in tried:
            continue
        tried.add(pattern)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        try:
            response = page.goto(path)
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                continue  # a file (CSV, PDF...) sent as an attachment, not a page
            raise
        if response is None or response.status != 200:
            continue  # not this role's page (403) or gone: another role may reach it
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue  # JSON, images, inline PDFs
        shown = urlsplit(page.url).path
        shown_pattern = _pattern(shown)
        if shown == "/":
            shown_pattern = f"{shown_pattern} as {role}"  # each role's panels differ
        if shown_pattern is not None and shown_pattern not in crawl.checked:
            crawl.checked[shown_pattern] = role
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                crawl.failures.extend(_audit(page, path, width))
        if follow:
            queue.extend(_links(page, crawl.base_url))


def _check_confirm_page(browser: Browser, crawl: Crawl, password: str) -> None:
    """The confirm step is the answer to a form, not a link: the manager asks to recall a
    lot and the confirm page is checked (and left unconfirmed)."""
    context = browser.new_context(base_url=crawl.base_url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        sign_in(page, "manager", password)
        lot = Lot.objects.filter(status=Lot.Status.AVAILABLE).order_by("id").first()
        assert lot is not None, "the demo clinic has no lot to recall"
        page.goto(f"/inventory/lots/{lot.pk}/")
        page.get_by_label("Reason for the recall").fill("Manufacturer's notice (checked only)")
        page.get_by_role("button", name="Recall lot").click()
        page.wait_for_selector(".confirm")
        crawl.checked["confirm page (recall a lot)"] = "manager"
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            crawl.failures.extend(_audit(page, "recall confirm page", width))
        assert Lot.objects.get(pk=lot.pk).status == Lot.Status.AVAILABLE
    finally:
        context.close()


def _demo_clinic() -> str:
    """The demo clinic, plus what the demo leaves out and some pages only show when it
    exists: a consent form and a signed consent, photos of a treated site, its injection
    map, a photo the patient sent, a patient import waiting for its columns to be
    matched. Returns the demo password."""
    call_command("seed", "--demo", verbosity=0)
    seed = tomllib.loads((Path(settings.BASE_DIR) / "seeds" / "demo.toml").read_text("utf-8"))
    manager = User.objects.get(username="manager")
    nurse = User.objects.get(username="nurse")
    dose = Dose.objects.select_related("visit__patient").order_by("visit__visited_at").first()
    assert dose is not None, "the demo clinic has no doses"
    patient = dose.visit.patient
    version = consent_form_create(
        title="Knee exosome treatment", body=BODY, site_categories=["joint"], by=manager
    )
    consent_signed(version, patient, by=nurse)
    visited_on = timezone.localtime(dose.visit.visited_at).date()
    for taken_on in (visited_on, timezone.localdate()):
        photo_add(dose=dose, taken_on=taken_on, upload=upload(phone_photo()), by=nurse)
    injection_map_save(
        dose=dose,
        points=[PointInput(Decimal(88), Decimal(104), 60), PointInput(Decimal(116), Decimal(98))],
        by=nurse,
    )
    # A photo the patient sent with a check-in, waiting in the worklist for review.
    self_report_submit(
        follow_up_id=FollowUpFactory(visit=dose.visit, kind=Kind.CHECK_IN).pk,
        answers=SelfReportAnswers(
            pain=2,
            pgic=2,
            percent_better=None,
            cold_sore=False,
            wound_signs=False,
            fever=False,
            dizziness=False,
        ),
        photo=upload(phone_photo()),
    )
    patient_import_upload(
        by=manager,
        file=SimpleUploadedFile(
            "patients.csv", b"First name,Last name,DOB\nAda,Lovelace,1962-03-14\n", "text/csv"
        ),
    )
    return seed["password"]


# Pages no link leads to, only a form: search results and filtered lists (the search
# form's GET), by the role that searches. The visit, patient, follow-up and
# adverse-event forms are linked from the pages and found by the crawl.
EXTRA_START_URLS = {
    "clinician": ["/patients/?q=a", "/treatments/visits/?q=a", "/audit/access-log/?q=a"],
    "nurse": [],
    "frontdesk": [],
    "manager": [],
}
# Signed out: the sign-in page and the password reset a locked-out member of staff uses.
SIGNED_OUT_PAGES = ["/accounts/login/", "/accounts/password/forgot/"]


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_every_staff_page_passes_axe_and_fits_the_screen(browser: Browser, live_server):
    started = time.monotonic()
    password = _demo_clinic()
    seeded = time.monotonic()
    crawl = Crawl(base_url=live_server.url)
    for role in ROLES:
        _crawl_as(browser, crawl, role, password, EXTRA_START_URLS[role])
    _check_confirm_page(browser, crawl, password)
    _check_signed_out(browser, crawl)
    by_role: dict[str, list[str]] = {}
    for pattern, role in crawl.checked.items():
        by_role.setdefault(role, []).append(pattern)
    # Printed so a run shows what was covered (pytest -s, or in the failure report).
    for role in (*ROLES, "signed out"):
        patterns = sorted(by_role.get(role, []))
        print(f"\n{role}: {len(patterns)} URL patterns")
        for pattern in patterns:
            print(f"  {pattern}")
    print(
        f"\nseeded in {seeded - started:.1f}s, crawled in {time.monotonic() - seeded:.1f}s, "
        f"{len(crawl.checked)} URL patterns checked"
    )
    assert len(crawl.checked) >= MIN_PATTERNS, f"only {len(crawl.checked)} URL patterns reached"
    assert not crawl.failures, f"{len(crawl.failures)} problems:\n" + "\n".join(crawl.failures)


@pytest.mark.django_db(transaction=True)
def test_the_not_found_page_says_why_leads_back_and_passes_axe(browser: Browser, live_server):
    call_command("seed", "--demo")
    for width in WIDTHS:
        page = browser.new_page(base_url=live_server.url, viewport={"width": width, "height": 900})
        sign_in(page, "clinician", "exotrack-demo-2026")
        response = page.goto("/treatments/visits/new/")  # no patient named
        assert response is not None and response.status == 404
        assert "Open the patient first, then record the visit." in page.inner_text("main")
        assert page.get_by_role("link", name="Find a patient").is_visible()
        assert _audit(page, "/treatments/visits/new/ (404)", width) == []
        page.close()
