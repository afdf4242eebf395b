"""History reaches staff accounts and their roles, the medication classes that decide who
is flagged, vials given back, acknowledged warnings and reminder deliveries; the access
log, like the stock ledger, cannot be changed or deleted in the database."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.models import StaffRole
from apps.audit.services import access_log_record
from apps.followups.models import ReminderDelivery
from apps.patients.models import MedicationClass
from apps.treatments.models import VialsOpened, VisitWarning
from apps.treatments.services import visit_void
from exotrack.history import recorded_by
from tests.builders import knee_dose, record
from tests.factories import (
    FollowUpFactory,
    LocationFactory,
    LotFactory,
    MedicationClassFactory,
    PatientFactory,
    TreatmentSiteFactory,
    UserFactory,
    VisitFactory,
)

pytestmark = pytest.mark.django_db


def labels(model, pk) -> list[str]:
    events = model.pgh_event_model.objects.filter(pgh_obj_id=pk).order_by("pgh_id")
    return list(events.values_list("pgh_label", flat=True))


def actor(event) -> int | None:
    return event.pgh_context.metadata.get("user") if event.pgh_context else None


class TestUsers:
    def test_an_account_change_names_who_made_it(self, manager):
        nurse = UserFactory(role="nurse")
        with recorded_by(manager):
            User.objects.filter(pk=nurse.pk).update(is_active=False)

        event = User.pgh_event_model.objects.filter(pgh_obj_id=nurse.pk).latest("pgh_id")
        assert (event.pgh_label, event.is_active, actor(event)) == ("update", False, manager.pk)

    def test_a_sign_in_is_no_change_and_the_password_hash_is_never_copied(self):
        nurse = UserFactory()
        before = labels(User, nurse.pk)
        nurse.last_login = timezone.now()
        nurse.save(update_fields=["last_login"])

        assert labels(User, nurse.pk) == before
        fields = {f.name for f in User.pgh_event_model._meta.get_fields()}
        assert "password" not in fields and "last_login" not in fields

    def test_a_role_given_and_taken_away(self, manager):
        nurse = UserFactory()
        role = Group.objects.get(name="manager")
        with recorded_by(manager):
            nurse.groups.add(role)
            nurse.groups.remove(role)

        events = StaffRole.pgh_event_model.objects.filter(user_id=nurse.pk).order_by("pgh_id")
        assert [(e.pgh_label, e.group_id, actor(e)) for e in events] == [
            ("role.add", role.pk, manager.pk),
            ("role.remove", role.pk, manager.pk),
        ]


def test_watching_a_medication_class_is_history():
    thyroid = MedicationClassFactory(code="thyroid_hormone", watched=True)
    MedicationClass.objects.filter(pk=thyroid.pk).update(watched=False)

    event = MedicationClass.pgh_event_model.objects.filter(pgh_obj_id=thyroid.pk).latest("pgh_id")
    assert (event.pgh_label, event.watched) == ("update", False)


def test_vials_given_back_and_acknowledged_warnings_are_history(clinician, manager):
    lot = LotFactory(vials_received=10)
    patient = PatientFactory()
    visit = record(
        by=clinician,
        patient=patient,
        location=LocationFactory(),
        clinician=clinician,
        doses=[knee_dose(TreatmentSiteFactory(), lot, billions="9")],
        acknowledgements={"dose_out_of_range": "Both compartments."},
    )
    warning = VisitWarning.objects.get(visit=visit)
    assert labels(VisitWarning, warning.pk) == ["insert"]

    visit_void(visit=visit, by=manager, reason="Wrong patient")

    opened = VialsOpened.objects.get(visit=visit)
    assert opened.returned_id is not None
    last = VialsOpened.pgh_event_model.objects.filter(pgh_obj_id=opened.pk).latest("pgh_id")
    assert (last.pgh_label, last.returned_id, actor(last)) == (
        "update",
        opened.returned_id,
        manager.pk,
    )


def test_a_reminder_delivery_is_history():
    follow_up = FollowUpFactory(visit=VisitFactory())
    delivery = ReminderDelivery.objects.create(
        follow_up=follow_up,
        attempted_at=timezone.now() - datetime.timedelta(minutes=1),
        status=ReminderDelivery.Status.SENT,
        to_address="ada@example.test",
        reminder_number=1,
    )
    assert labels(ReminderDelivery, delivery.pk) == ["insert"]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_accesslog SET subject = 'nothing' WHERE id = %s",
        "DELETE FROM audit_accesslog WHERE id = %s",
    ],
)
def test_the_access_log_is_append_only(clinician, sql):
    entry = access_log_record(user=clinician, action="view", subject="patient")
    with (
        pytest.raises(DatabaseError, match="access_log_append_only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.subject == "patient"
