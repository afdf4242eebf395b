import pytest
from django.core.exceptions import ValidationError
from django.db import ProgrammingError, transaction

from apps.consents.models import ConsentVersion
from apps.consents.selectors import current_versions
from apps.consents.services import consent_form_create, consent_version_publish
from tests.builders import BODY


def test_a_new_form_is_published_as_version_one(consent_version, manager):
    assert consent_version.number == 1
    assert consent_version.site_categories == ["face", "joint"]
    assert list(current_versions()) == [consent_version]


def test_a_change_publishes_the_next_version_and_leaves_the_old_one(consent_version, manager):
    second = consent_version_publish(
        form=consent_version.form,
        title=consent_version.title,
        body=BODY + "\nWhat is not known: long-term effects.",
        site_categories=["joint"],
        by=manager,
    )
    assert second.number == 2
    consent_version.refresh_from_db()
    assert consent_version.body == BODY.strip()
    assert list(current_versions()) == [second]


def test_publishing_the_same_text_again_is_refused(consent_version, manager):
    with pytest.raises(ValidationError, match="Nothing changed"):
        consent_version_publish(
            form=consent_version.form,
            title=consent_version.title,
            body=consent_version.body,
            site_categories=consent_version.site_categories,
            by=manager,
        )


def test_bad_text_gets_field_errors_and_nothing_is_stored(manager):
    with pytest.raises(ValidationError) as refused:
        consent_form_create(title=" ", body="Dear {patinet}", site_categories=[], by=manager)
    errors = refused.value.message_dict
    assert set(errors) == {"title", "body", "site_categories"}
    assert "{patinet}" in errors["body"][0]
    assert not ConsentVersion.objects.exists()


def test_the_database_refuses_to_edit_a_published_version(consent_version):
    with pytest.raises(ProgrammingError, match="consents_consentversion"), transaction.atomic():
        ConsentVersion.objects.filter(pk=consent_version.pk).update(body="Changed")
