"""Photos patients send from their self-report link: only when their consent allows it,
through the same checks as staff uploads, nothing kept on bad input; then they wait in
the worklist until staff accept one into the record (as a photo of a treated site) or
reject it with a reason."""

import io

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pytest_django.asserts import assertContains, assertNotContains

from apps.audit.models import AccessLog
from apps.consents.services import consent_withdraw
from apps.followups.models import FollowUp, Kind, SelfReport
from apps.followups.services.self_reports import SelfReportAnswers, self_report_submit
from apps.followups.tokens import self_report_token
from apps.photos.models import Photo, SentPhoto
from apps.photos.services import photo_file, sent_photo_accept, sent_photo_reject
from tests.factories import DoseFactory, FollowUpFactory
from tests.photos.helpers import phone_photo, upload

ANSWERS = {
    "pain": "3",
    "pgic": "2",
    "percent_better": "",
    "cold_sore": "no",
    "wound_signs": "no",
    "fever": "no",
    "dizziness": "no",
}
NO_SYMPTOMS = SelfReportAnswers(
    pain=3,
    pgic=2,
    percent_better=None,
    cold_sore=False,
    wound_signs=False,
    fever=False,
    dizziness=False,
)


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def follow_up(dose):
    return FollowUpFactory(visit=dose.visit, kind=Kind.CHECK_IN)


def _url(follow_up) -> str:
    return reverse("patient_links:self-report", kwargs={"token": self_report_token(follow_up.pk)})


def _files(root):
    root = root / "photos"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _send(client, follow_up, data: bytes, name: str = "IMG_0042.jpg", **answers):
    return client.post(_url(follow_up), {**ANSWERS, **answers, "photo": upload(data, name)})


def _nothing_kept(follow_up, private_files) -> None:
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.PENDING and follow_up.self_report_used_at is None
    assert not SelfReport.objects.exists() and not SentPhoto.objects.exists()
    assert _files(private_files) == []


def test_the_photo_question_is_asked_only_when_the_consent_allows_photos(
    client, follow_up, photo_consent, nurse
):
    asked = client.get(_url(follow_up))
    assertContains(asked, "A photo of the treated area (optional)")
    assertContains(asked, 'enctype="multipart/form-data"')
    consent_withdraw(consent=photo_consent, reason="Changed her mind", by=nurse)
    assertNotContains(client.get(_url(follow_up)), "A photo of the treated area")


def test_a_sent_photo_waits_for_review_without_gps(client, follow_up, photo_consent, private_files):
    response = _send(client, follow_up, phone_photo((4000, 3000)))
    assert response.status_code == 200
    assertContains(response, "Your answers have reached the clinic, with your photo.")
    sent = SentPhoto.objects.get()
    assert (sent.review, sent.patient, sent.follow_up) == (
        SentPhoto.Review.WAITING,
        follow_up.patient,
        follow_up,
    )
    # Turned upright from the phone's orientation tag, then kept without any metadata.
    assert (sent.width, sent.height, sent.uploaded_format) == (3000, 4000, "JPEG")
    assert not Photo.objects.exists()
    stored = _files(private_files)
    assert len(stored) == 2
    for path in stored:
        data = path.read_bytes()
        assert b"PhoneMaker" not in data and not Image.open(io.BytesIO(data)).getexif()
    follow_up.refresh_from_db()
    assert follow_up.status == FollowUp.Status.COMPLETED


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%!PS-Adobe-3.0 a printer file", "IMG_0042.jpg", "This file is not a photo we can read"),
        (phone_photo() + b"%PDF-1.4 trailer", "IMG_0042.jpg", "also contains a PDF"),
    ],
    ids=["renamed-non-image", "pdf-polyglot"],
)
def test_a_bad_file_is_refused_beside_the_question_and_nothing_is_kept(
    client, follow_up, photo_consent, private_files, data, name, message
):
    response = _send(client, follow_up, data, name)
    assert response.status_code == 400
    assert message in response.context["form"].errors["photo"][0]
    assertContains(response, "Please check the answers marked below.", status_code=400)
    _nothing_kept(follow_up, private_files)


def test_a_too_large_image_is_refused_and_nothing_is_kept(
    client, follow_up, photo_consent, private_files, settings
):
    settings.PHOTO_MAX_PIXELS = 1_000_000
    response = _send(client, follow_up, phone_photo((1600, 1200)))
    assert response.status_code == 400
    assert response.context["form"].errors["photo"] == [
        "The picture is 1600 by 1200 pixels; photos up to 1 megapixels are accepted."
    ]
    settings.PHOTO_MAX_UPLOAD_BYTES = 2_000_000
    response = _send(client, follow_up, phone_photo() + b"\x00" * 3_000_000)
    assert response.context["form"].errors["photo"] == [
        "The file is 3 MB; photos up to 2 MB are accepted."
    ]
    _nothing_kept(follow_up, private_files)


def test_a_good_photo_with_a_missing_answer_keeps_nothing(
    client, follow_up, photo_consent, private_files
):
    response = _send(client, follow_up, phone_photo(), fever="")
    assert response.status_code == 400
    assert "fever" in response.context["form"].errors
    assertContains(response, "If you had chosen a photo, please choose it again.", status_code=400)
    _nothing_kept(follow_up, private_files)


def test_without_photo_consent_the_service_keeps_no_photo(follow_up, private_files):
    with pytest.raises(ValidationError) as refused:
        self_report_submit(
            follow_up_id=follow_up.pk, answers=NO_SYMPTOMS, photo=upload(phone_photo())
        )
    assert "does not cover photos" in refused.value.message_dict["photo"][0]
    _nothing_kept(follow_up, private_files)


@pytest.fixture
def sent(follow_up, photo_consent):
    self_report_submit(follow_up_id=follow_up.pk, answers=NO_SYMPTOMS, photo=upload(phone_photo()))
    return SentPhoto.objects.get()


def test_the_worklist_lists_sent_photos_for_clinical_staff_only(client, sent, nurse, front_desk):
    client.force_login(nurse)
    response = client.get(reverse("followups:worklist"))
    assert response.context["worklist"].sent_photos_waiting == [sent]
    assertContains(response, reverse("photos:sent-review", args=[sent.pk]))
    client.force_login(front_desk)
    response = client.get(reverse("followups:worklist"))
    assert response.context["worklist"].sent_photos_waiting is None
    assertNotContains(response, "Photos sent by patients")
    assert client.get(reverse("photos:sent-review", args=[sent.pk])).status_code == 403
    assert client.get(reverse("photos:sent-image", args=[sent.pk])).status_code == 403


def test_accepting_makes_it_a_photo_of_the_chosen_site(client, sent, nurse, dose):
    client.force_login(nurse)
    page = client.get(reverse("photos:sent-review", args=[sent.pk]))
    assertContains(page, reverse("photos:sent-image", args=[sent.pk]))
    image = client.get(reverse("photos:sent-image", args=[sent.pk]))
    assert image["Cache-Control"] == "private, no-store" and image.content.startswith(b"\xff\xd8")
    assert set(
        AccessLog.objects.filter(user=nurse, object_id=sent.pk).values_list("subject", flat=True)
    ) == {"sent-photo", "sent-photo-image"}

    response = client.post(
        reverse("photos:sent-review", args=[sent.pk]),
        {"action": "accept", "dose": dose.pk, "view": "front"},
    )
    photo = Photo.objects.get()
    assert response.url == reverse("photos:detail", args=[photo.pk])
    assert (photo.dose, photo.view, photo.created_by, photo.taken_on) == (
        dose,
        "front",
        nurse,
        timezone.localdate(sent.sent_at),
    )
    assert photo.note == "Sent by the patient with their follow-up answers."
    assert (photo.image_name, photo.image_sha256) == (sent.image_name, sent.image_sha256)
    assert photo_file(photo) == photo_file(sent)
    sent.refresh_from_db()
    assert (sent.review, sent.photo, sent.reviewed_by) == (SentPhoto.Review.ACCEPTED, photo, nurse)
    with pytest.raises(ValidationError, match="not waiting for review"):
        sent_photo_accept(sent=sent, dose=dose, by=nurse)


def test_only_a_treated_site_of_the_visit_followed_up_is_accepted(sent, nurse):
    elsewhere = DoseFactory()
    with pytest.raises(ValidationError) as refused:
        sent_photo_accept(sent=sent, dose=elsewhere, by=nurse)
    assert "dose" in refused.value.message_dict
    assert not Photo.objects.exists()


def test_a_withdrawn_consent_stops_the_photo_at_acceptance(sent, nurse, dose, photo_consent):
    consent_withdraw(consent=photo_consent, reason="No photos after all", by=nurse)
    with pytest.raises(ValidationError, match="allows photos"):
        sent_photo_accept(sent=sent, dose=dose, by=nurse)
    assert not Photo.objects.exists()


def test_rejecting_needs_a_reason_and_keeps_the_photo_on_file(client, sent, nurse, front_desk):
    client.force_login(nurse)
    url = reverse("photos:sent-review", args=[sent.pk])
    response = client.post(url, {"action": "reject", "reason": "  "})
    assert response.status_code == 400
    assert "reason" in response.context["reject"].errors
    response = client.post(url, {"action": "reject", "reason": "Blurred; shows the wrong knee."})
    assert response.url == reverse("followups:worklist")
    sent.refresh_from_db()
    assert (sent.review, sent.reject_reason) == (
        SentPhoto.Review.REJECTED,
        "Blurred; shows the wrong knee.",
    )
    assert not Photo.objects.exists() and photo_file(sent).startswith(b"\xff\xd8")
    with pytest.raises(PermissionDenied):
        sent_photo_reject(sent=sent, reason="x", by=front_desk)


def test_the_review_page_costs_the_same_queries_whatever_the_visit(
    client, sent, nurse, dose, django_assert_num_queries
):
    client.force_login(nurse)
    url = reverse("photos:sent-review", args=[sent.pk])
    client.get(url)  # warm the content-type cache
    # session, user, permissions (2), the sent photo with its patient, follow-up, visit,
    # reviewer and photo, the access-log write, groups (header), the visit's doses with
    # their sites for the site choice (2: the select's choices are read as it renders).
    with django_assert_num_queries(9) as once:
        client.get(url)
    for _ in range(4):
        DoseFactory(visit=dose.visit, laterality="right")
    with django_assert_num_queries(len(once)):
        response = client.get(url)
    assert len(response.context["accept"].fields["dose"].queryset) == 5
