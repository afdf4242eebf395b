import datetime
from unittest import mock

import pytest
from django.core import mail, signing
from django.urls import reverse

from apps.consents.models import ConsentRequest, PhotoUse, SignedConsent
from apps.consents.services import consent_request_email_send, consent_request_send
from apps.consents.tokens import signing_token
from tests.builders import drawn_signature


@pytest.fixture
def consent_request(consent_version, patient, product, nurse):
    with mock.patch("apps.consents.tasks.consent_request_email.delay_on_commit") as enqueue:
        sent = consent_request_send(
            patient=patient, version=consent_version, product=product, by=nurse
        )
    enqueue.assert_called_once_with(sent.pk)
    return sent


def _answers(**overrides):
    return {
        "signed_name": "Ada Lovelace",
        "signature": drawn_signature(),
        "photo_use": PhotoUse.RECORD,
        **overrides,
    }


def test_the_link_is_emailed_once(consent_request):
    consent_request_email_send(request_id=consent_request.pk)
    consent_request_email_send(request_id=consent_request.pk)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert f"/p/consent/{signing_token(consent_request.pk)}/" in message.body
    consent_request.refresh_from_db()
    assert consent_request.emailed_at is not None


def test_a_patient_without_email_cannot_be_sent_a_link(consent_version, nurse):
    from django.core.exceptions import ValidationError

    from tests.factories import PatientFactory

    with pytest.raises(ValidationError, match="no e-mail address"):
        consent_request_send(
            patient=PatientFactory(email=""), version=consent_version, product=None, by=nurse
        )
    assert not ConsentRequest.objects.exists()


def test_the_patient_signs_once_through_the_link(client, consent_request):
    url = reverse("consent_links:sign", args=[signing_token(consent_request.pk)])
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Dear Ada" in text and "I, Ada Lovelace, agree" in text
    assert "Lovelace" not in text.split("<article")[0]  # greeting by first name only
    done = client.post(url, _answers())
    assert done.status_code == 200 and "Thank you, Ada" in done.content.decode()
    consent = SignedConsent.objects.get()
    assert consent.witness is None and consent.request == consent_request
    again = client.post(url, _answers())
    assert again.status_code == 410
    assert "already been signed" in again.content.decode()
    assert SignedConsent.objects.count() == 1


def test_a_blank_signature_through_the_link_keeps_the_link_usable(client, consent_request):
    url = reverse("consent_links:sign", args=[signing_token(consent_request.pk)])
    refused = client.post(url, _answers(signature=""))
    assert refused.status_code == 400
    assert "still empty" in refused.content.decode()
    consent_request.refresh_from_db()
    assert consent_request.used_at is None
    assert not SignedConsent.objects.exists()


def test_a_tampered_link_gets_a_clear_page_and_stores_nothing(client, consent_request):
    token = signing_token(consent_request.pk)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    response = client.post(reverse("consent_links:sign", args=[tampered]), _answers())
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
    forged = signing.dumps({"r": consent_request.pk}, salt="another-salt", compress=True)
    assert client.get(reverse("consent_links:sign", args=[forged])).status_code == 404
    assert not SignedConsent.objects.exists()


def test_an_expired_link_says_so(client, consent_request, settings):
    url = reverse("consent_links:sign", args=[signing_token(consent_request.pk)])
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(
        days=settings.CONSENT_SIGNING_LINK_DAYS, minutes=1
    )
    with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
        response = client.post(url, _answers())
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not SignedConsent.objects.exists()


def test_requests_are_limited_per_client_address(client, consent_request, settings):
    settings.CONSENT_SIGNING_REQUESTS_PER_HOUR = 3
    token = signing_token(consent_request.pk)
    url = reverse("consent_links:sign", args=[token])
    # Guessed tokens count too: trying them is what the limit is for.
    guessed = reverse(
        "consent_links:sign", args=[token[:-2] + ("AA" if token[-2:] != "AA" else "BB")]
    )
    assert client.get(guessed, REMOTE_ADDR="203.0.113.7").status_code == 404
    for _ in range(2):
        assert client.get(url, REMOTE_ADDR="203.0.113.7").status_code == 200
    refused = client.post(url, _answers(), REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    text = refused.content.decode()
    assert "Please try again later" in text and "too many attempts" in text
    assert "Ada" not in text
    assert not SignedConsent.objects.exists()
    consent_request.refresh_from_db()
    assert consent_request.used_at is None
    # Another address is not held back.
    assert client.get(url, REMOTE_ADDR="198.51.100.2").status_code == 200


def test_a_leaked_link_is_limited_from_every_address(client, consent_request, settings, patient):
    settings.CONSENT_SIGNING_REQUESTS_PER_HOUR = 3
    url = reverse("consent_links:sign", args=[signing_token(consent_request.pk)])
    for n in range(3):
        assert client.get(url, REMOTE_ADDR=f"198.51.100.{n}").status_code == 200
    assert client.post(url, _answers(), REMOTE_ADDR="198.51.100.9").status_code == 429
    assert not SignedConsent.objects.exists()
    # The same address opens another patient's link: only the hammered link is held back.
    with mock.patch("apps.consents.tasks.consent_request_email.delay_on_commit"):
        other = consent_request_send(
            patient=patient,
            version=consent_request.version,
            product=None,
            by=consent_request.requested_by,
        )
    other_url = reverse("consent_links:sign", args=[signing_token(other.pk)])
    assert client.get(other_url, REMOTE_ADDR="198.51.100.9").status_code == 200
