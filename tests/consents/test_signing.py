import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import ProgrammingError, transaction

from apps.consents.models import PhotoUse, SignedConsent
from apps.consents.selectors import consent_covering, patient_photo_use
from apps.consents.services import (
    consent_pdf_bytes,
    consent_sign,
    consent_version_publish,
    consent_withdraw,
)
from exotrack.private_files import private_storage
from tests.builders import drawn_signature


def _sign(version, patient, product, by, **overrides):
    fields = {
        "signed_name": "Ada Lovelace",
        "signature": drawn_signature(),
        "photo_use": PhotoUse.TEACHING,
    }
    return consent_sign(
        patient=patient, version=version, product=product, by=by, **{**fields, **overrides}
    )


def _stored_files(root):
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_signing_archives_the_pdf_with_its_sha256(consent_version, patient, product, nurse):
    consent = _sign(consent_version, patient, product, nurse)
    pdf = consent_pdf_bytes(consent)
    assert pdf.startswith(b"%PDF-")
    assert consent.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert consent.pdf_bytes == len(pdf)
    assert consent.witness == nurse
    # What was shown is kept with the placeholders filled from the record.
    assert "I, Ada Lovelace, agree" in consent.shown_text
    assert "Investigational, IND 012345" in consent.shown_text
    assert consent.shown_title == "Knee and face exosome treatment"
    assert bytes(consent.signature_png).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("", "still empty"),
        (drawn_signature(ink=False), "still empty"),
        ("data:image/png;base64,not-base64!", "could not be read"),
        ("data:image/jpeg;base64,AAAA", "could not be read"),
    ],
)
def test_a_blank_or_unreadable_signature_is_refused_and_nothing_stored(
    consent_version, patient, product, nurse, private_files, signature, message
):
    with pytest.raises(ValidationError) as refused:
        _sign(consent_version, patient, product, nurse, signature=signature)
    assert message in refused.value.message_dict["signature"][0]
    assert not SignedConsent.objects.exists()
    assert _stored_files(private_files) == []


def test_a_single_tap_is_not_a_signature(consent_version, patient, product, nurse):
    import base64
    import io

    from PIL import Image

    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    image.putpixel((100, 100), (0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    tap = "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
    with pytest.raises(ValidationError, match="still empty"):
        _sign(consent_version, patient, product, nurse, signature=tap)


def test_typed_name_and_photo_choice_are_required(consent_version, patient, product, nurse):
    with pytest.raises(ValidationError) as refused:
        _sign(consent_version, patient, product, nurse, signed_name="  ", photo_use="everything")
    assert set(refused.value.message_dict) == {"signed_name", "photo_use"}


def test_an_old_version_cannot_be_signed(consent_version, patient, product, nurse, manager):
    consent_version_publish(
        form=consent_version.form,
        title="Knee and face exosome treatment",
        body=consent_version.body + "\n\nNew paragraph.",
        site_categories=["joint", "face"],
        by=manager,
    )
    with pytest.raises(ValidationError) as refused:
        _sign(consent_version, patient, product, nurse)
    assert "newer version" in refused.value.message_dict["version"][0]


def test_withdrawal_needs_a_reason_and_is_the_only_change(consent_version, patient, product, nurse):
    consent = _sign(consent_version, patient, product, nurse)
    with pytest.raises(ValidationError):
        consent_withdraw(consent=consent, reason=" ", by=nurse)
    consent = consent_withdraw(consent=consent, reason="Patient changed their mind", by=nurse)
    assert consent.is_withdrawn and consent.withdrawn_by == nurse
    with pytest.raises(ValidationError, match="already withdrawn"):
        consent_withdraw(consent=consent, reason="again", by=nurse)
    with pytest.raises(ProgrammingError, match="consents_signedconsent"), transaction.atomic():
        SignedConsent.objects.filter(pk=consent.pk).update(signed_name="Someone else")
    with pytest.raises(ProgrammingError, match="consents_signedconsent"), transaction.atomic():
        SignedConsent.objects.filter(pk=consent.pk).delete()


def test_a_tampered_archive_is_not_handed_out(consent_version, patient, product, nurse):
    consent = _sign(consent_version, patient, product, nurse)
    storage = private_storage()
    storage.delete(consent.pdf_name)
    storage.save(consent.pdf_name, __import__("io").BytesIO(b"%PDF-1.4 forged"))
    with pytest.raises(ValidationError, match="fingerprint"):
        consent_pdf_bytes(consent)


def test_coverage_follows_categories_withdrawal_and_age(
    consent_version, patient, product, nurse, settings
):
    import datetime

    from django.utils import timezone

    today = timezone.localdate()
    assert consent_covering(patient=patient, site_categories={"joint"}, on=today) is None
    consent = _sign(consent_version, patient, product, nurse)
    assert consent_covering(patient=patient, site_categories={"joint", "face"}, on=today) == consent
    assert consent_covering(patient=patient, site_categories={"scalp"}, on=today) is None
    later = today + datetime.timedelta(days=settings.CONSENT_VALID_DAYS + 1)
    assert consent_covering(patient=patient, site_categories={"joint"}, on=later) is None
    assert patient_photo_use(patient=patient, on=today) == PhotoUse.TEACHING
    consent_withdraw(consent=consent, reason="Withdrawn at the desk", by=nurse)
    assert consent_covering(patient=patient, site_categories={"joint"}, on=today) is None
    assert patient_photo_use(patient=patient, on=today) == PhotoUse.NONE
