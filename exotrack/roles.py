"""Staff roles (DOMAIN.md "People using it") as Django groups with permissions.

One table says what each role may do; `ensure_roles` makes the groups match it.
Apps add their permissions here when they arrive, so the whole policy reads in one place.
"""

import logging

from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction

logger = logging.getLogger(__name__)

CLINICIAN = "clinician"
NURSE = "nurse"
FRONT_DESK = "front_desk"
MANAGER = "manager"

ROLE_LABELS = {
    CLINICIAN: "Clinician",
    NURSE: "Nurse",
    FRONT_DESK: "Front desk",
    MANAGER: "Clinic manager",
}

_CLINIC_READ = {"clinic.view_clinicprofile", "clinic.view_location"}
_CATALOGUE_READ = {
    "treatments.view_treatmentsite",
    "inventory.view_manufacturer",
    "inventory.view_product",
    "inventory.view_lot",
}
_PATIENT_IDENTITY = {"patients.view_patient", "patients.add_patient", "patients.change_patient"}
_CLINICAL_RECORDING = {
    "patients.view_clinical",
    "patients.view_medicationclass",
    "patients.view_medication",
    "patients.add_medication",
    "patients.change_medication",
    "treatments.view_visit",
    "treatments.add_visit",
    "treatments.view_dose",
}

_SAFETY_RECORDING = {
    "safety.view_adverseeventtype",
    "safety.view_adverseevent",
    "safety.add_adverseevent",
    "safety.view_medicationflag",
    "safety.add_medicationflag",
    "safety.view_lotsignal",
}
_FOLLOW_UP_WORK = {
    "followups.view_followuprule",
    "followups.view_followup",
    "followups.add_followup",
    "followups.change_followup",
    "followups.view_reminderdelivery",
}
# Patients sign consents before a clinical witness; photos are clinical records too.
_CONSENT_TAKING = {
    "consents.view_signedconsent",
    "consents.add_signedconsent",
    "consents.add_consentrequest",
    "photos.view_photo",
    "photos.add_photo",
    "injection_maps.add_injectionpoint",
}
_OUTCOME_RECORDING = {
    "outcomes.view_outcomeassessment",
    "outcomes.add_outcomeassessment",
    "followups.view_selfreport",
    "reports.view_reports",
}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    # Records visits and doses, acknowledges dose warnings, voids mistakes.
    CLINICIAN: _CLINIC_READ
    | _CATALOGUE_READ
    | _PATIENT_IDENTITY
    | _CLINICAL_RECORDING
    | _SAFETY_RECORDING
    | _FOLLOW_UP_WORK
    | _OUTCOME_RECORDING
    | _CONSENT_TAKING
    | {"consents.withdraw_signedconsent", "photos.void_photo"}
    | {"treatments.add_visitwarning", "treatments.void_visit", "patients.void_patient"}
    # Edits and voids adverse events, acknowledges and resolves medication flags,
    # confirms or dismisses patient self-reports, exports identified reports, puts the
    # recipients of a recalled lot on the call list.
    | {
        "inventory.contact_lot_recipients",
        "safety.change_adverseevent",
        "safety.change_medicationflag",
        "followups.change_selfreport",
        "outcomes.change_outcomeassessment",
        "reports.export_identified",
    },
    # Records visits and follow-up results; a clinician acknowledges warnings.
    NURSE: _CLINIC_READ
    | _CATALOGUE_READ
    | _PATIENT_IDENTITY
    | _CLINICAL_RECORDING
    | _SAFETY_RECORDING
    | _FOLLOW_UP_WORK
    | _OUTCOME_RECORDING
    | _CONSENT_TAKING,
    # Patient identity and contact details only: no clinical field anywhere.
    # Follow-up calls and rebooking: the worklist without clinical answers.
    FRONT_DESK: _CLINIC_READ | _PATIENT_IDENTITY | _FOLLOW_UP_WORK,
    # Lots and inventory, the catalogue, users, reports; voids mistakes; reads history.
    MANAGER: _CLINIC_READ
    | _CATALOGUE_READ
    | {
        "clinic.change_clinicprofile",
        "clinic.add_location",
        "clinic.change_location",
        "accounts.view_user",
        "accounts.manage_staff",
        "patients.view_patient",
        "patients.view_clinical",
        "patients.void_patient",
        "patients.view_medication",
        "patients.view_medicationclass",
        "patients.change_medicationclass",
        "treatments.add_treatmentsite",
        "treatments.change_treatmentsite",
        "treatments.view_visit",
        "treatments.view_dose",
        "treatments.void_visit",
        "inventory.add_manufacturer",
        "inventory.change_manufacturer",
        "inventory.add_product",
        "inventory.change_product",
        "inventory.add_lot",
        "inventory.change_lot",
        "inventory.contact_lot_recipients",
        "inventory.view_stockmovement",
        "inventory.add_stockmovement",
        "audit.view_accesslog",
        "audit.view_history",
        "safety.view_adverseeventtype",
        "safety.change_adverseeventtype",
        "safety.view_adverseevent",
        "safety.view_medicationflag",
        "safety.view_lotsignal",
        "followups.view_followuprule",
        "followups.add_followuprule",
        "followups.change_followuprule",
        "followups.view_followup",
        "followups.view_reminderdelivery",
        "outcomes.view_outcomeassessment",
        "reports.view_reports",
        "reports.export_identified",
        "imports.import_patients",
        "consents.view_consentform",
        "consents.add_consentform",
        "consents.add_consentversion",
        "consents.view_signedconsent",
        "consents.withdraw_signedconsent",
        "photos.view_photo",
        "photos.void_photo",
    },
}


def _permissions(codes: set[str]) -> list[Permission]:
    found = []
    for code in sorted(codes):
        app_label, codename = code.split(".", 1)
        perm = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if perm is None:
            raise LookupError(f"Role table names an unknown permission: {code}")
        found.append(perm)
    return found


@transaction.atomic
def ensure_roles() -> dict[str, Group]:
    """Create or update the role groups so their permissions match ROLE_PERMISSIONS."""
    groups = {}
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(_permissions(codes))
        groups[role] = group
    return groups


def ensure_roles_after_migrate(sender, **kwargs) -> None:
    # post_migrate is sent once per app, in INSTALLED_APPS order, and Django creates each
    # app's permissions in its own handler: wait for the last app so all of them exist.
    if sender.name != list(django_apps.get_app_configs())[-1].name:
        return
    try:
        ensure_roles()
    except LookupError as error:
        # A migrate to an older state may lack some models; `manage.py seed` is strict.
        logger.warning("Roles not updated: %s", error)


def roles_of(user) -> list[str]:
    if not user.is_authenticated:
        return []
    return [g.name for g in user.groups.all() if g.name in ROLE_PERMISSIONS]
