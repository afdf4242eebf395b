import pytest

from apps.audit.models import AccessLog
from apps.audit.services import access_log_record


def test_records_who_read_which_patient_and_when(clinician):
    entry = access_log_record(
        user=clinician,
        action=AccessLog.Action.VIEW,
        subject="patient",
        patient_id=42,
        object_id=42,
        path="/patients/42/",
        detail={"fields": "all"},
    )

    stored = AccessLog.objects.get(pk=entry.pk)
    assert stored.user == clinician
    assert stored.action == "view"
    assert stored.subject == "patient"
    assert stored.patient_id == 42
    assert stored.path == "/patients/42/"
    assert stored.detail == {"fields": "all"}
    assert stored.at.tzinfo is not None


def test_detail_defaults_to_empty(manager):
    entry = access_log_record(user=manager, action="export", subject="export:outcomes")
    entry.refresh_from_db()
    assert entry.detail == {}
    assert entry.patient_id is None


def test_unknown_action_is_refused(manager):
    with pytest.raises(ValueError, match="Unknown access-log action"):
        access_log_record(user=manager, action="peek", subject="patient")
    assert not AccessLog.objects.exists()


def test_nul_characters_from_a_search_box_are_dropped(clinician):
    entry = access_log_record(
        user=clinician,
        action="search",
        subject="patient-search",
        path="/patients/?q=a\x00b",
        detail={"query": "a\x00b", "filters": {"q": ["a\x00b"]}},
    )
    entry.refresh_from_db()
    assert entry.detail == {"query": "ab", "filters": {"q": ["ab"]}}
    assert entry.path == "/patients/?q=ab"
