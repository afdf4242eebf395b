"""A patient answers a follow-up from a phone through the self-report link; the clinic
sees the follow-up completed and the reported symptom in the worklist, and a clinician
dismisses it on the review page. The unsubscribe link changes nothing until its button
is pressed."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, expect

from apps.followups.models import FollowUp, Kind, SelfReport
from apps.followups.tokens import self_report_token, unsubscribe_token
from apps.outcomes.models import OutcomeAssessment
from exotrack import roles
from tests.e2e.browser import TIMEOUT_MS
from tests.factories import DoseFactory, FollowUpFactory, PatientFactory, UserFactory, VisitFactory

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def follow_up():
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    visit = VisitFactory(patient=patient, visited_at=timezone.now() - datetime.timedelta(days=14))
    DoseFactory(visit=visit, baseline_pain=7)
    return FollowUpFactory(visit=visit, kind=Kind.CHECK_IN)


@pytest.fixture
def phone(browser: Browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_patient_answers_from_a_phone_and_the_clinic_reviews(
    phone, page, live_server, login, follow_up
):
    phone.goto(
        reverse("patient_links:self-report", kwargs={"token": self_report_token(follow_up.pk)})
    )
    expect(phone.get_by_role("heading", name="Hello Ada, how are you doing?")).to_be_visible()
    expect(phone.locator("body")).not_to_contain_text("Lovelace")
    # Nothing wider than the phone: no sideways scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Forgetting a yes/no question is pointed out next to it.
    phone.get_by_label("How much pain do you have now, from 0 to 10?").fill("3")
    phone.get_by_label("2 · Much improved").check()
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("alert")).to_contain_text("Please check the answers marked below.")
    expect(phone.locator("fieldset", has_text="Have you had a fever?")).to_contain_text(
        "Please answer yes or no."
    )

    for question, answer in [
        ("Have you had a cold sore since the treatment?", "No"),
        ("Is there redness, warmth or pus where you were injected?", "Yes"),
        ("Have you had a fever?", "No"),
        ("Do you feel dizzy when you stand up?", "No"),
    ]:
        phone.locator("fieldset", has_text=question).get_by_label(answer, exact=True).check()
    phone.get_by_role("button", name="Send my answers").tap()
    expect(phone.get_by_role("heading", name="Thank you, Ada")).to_be_visible()

    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED
    assert OutcomeAssessment.objects.get().pain == 3

    # The same link again: already answered.
    phone.reload()
    expect(phone.get_by_role("heading", name="You have already sent your answers")).to_be_visible()

    clinician = UserFactory(username="cleo", first_name="Cleo", role=roles.CLINICIAN)
    login(page, live_server, clinician)
    page.goto(reverse("followups:worklist"))
    waiting = page.locator("#self-reports-waiting")
    expect(waiting).to_contain_text("Ada Lovelace")
    waiting.get_by_role("link", name="Review").click()
    expect(page.locator("#answers")).to_contain_text("Yes")
    expect(page.get_by_role("link", name="Confirm as adverse event")).to_be_visible()
    page.get_by_label("Why nothing is recorded").fill("Called her: redness settled the next day.")
    page.get_by_role("button", name="Dismiss").click()
    expect(page.locator("#self-reports-waiting")).to_contain_text("No self-report is waiting.")
    assert SelfReport.objects.get().review == SelfReport.Review.DISMISSED


def test_opening_the_unsubscribe_link_changes_nothing_until_the_button_is_pressed(phone, follow_up):
    patient = follow_up.patient
    phone.goto(reverse("patient_links:unsubscribe", kwargs={"token": unsubscribe_token(patient)}))
    expect(phone.get_by_role("heading", name="Stop reminder e-mails?")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    patient.refresh_from_db()
    assert patient.email_consent is True

    phone.get_by_role("button", name="Stop reminder e-mails").click()

    stopped = phone.get_by_role("heading", name="You will get no more reminder e-mails")
    expect(stopped).to_be_visible()
    patient.refresh_from_db()
    assert patient.email_consent is False
