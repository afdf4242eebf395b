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
