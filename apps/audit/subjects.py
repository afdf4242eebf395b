"""What the access log's "What" column says: each subject a read is logged under (the
`subject` given to access_log_record) in the clinic's words, never the code itself.

A subject is a code ("visit-form") or a family and a detail ("export:outcomes",
"history:patients.patient", "fhir:Patient"). A code this table does not know yet (an old
entry, a new page) still reads as words: dashes become spaces, the first letter a capital.
tests/audit/test_subject_labels.py fails on a subject in the code that has no label here."""

from django.apps import apps

ACCESS_SUBJECT_LABELS: dict[str, str] = {
    # Patients
    "patient": "Patient record",
    "patient-edit": "Patient record (edit form)",
    "patient-search": "Patient search",
    "medications": "Patient's medications",
    "consent": "Signed consent",
    "consent-pdf": "Signed consent (PDF)",
    "photo": "Treatment photo",
    "photo-image": "Treatment photo (full size)",
    "photo-thumbnail": "Treatment photo (thumbnail)",
    "photo-comparison": "Treatment photos side by side",
    "sent-photo": "Photo a patient sent (review)",
    "sent-photo-image": "Photo a patient sent (full size)",
    # Visits and outcomes
    "visit": "Visit",
    "visit-form": "Visit form",
    "visit-search": "Visit search",
    "sign-off-list": "Visits awaiting sign-off",
    "injection-map": "Injection map",
    "injection-maps": "Injection maps",
    "episode": "Treated site and its outcomes",
    "outcome-record": "Record outcome form",
    "outcome-assessment": "Outcome assessment",
    "outcome-assessments": "Outcome assessments",
    # Follow-ups
    "follow-up": "Follow-up",
    "follow-up-form": "Follow-up form",
    "follow-up-search": "Follow-up search",
    "follow-up-worklist": "Follow-up worklist",
    "reminder-delivery": "Reminder e-mail",
    "reminder-deliveries": "Reminder e-mails",
    "self-report": "Patient self-report",
    # Safety and stock
    "adverse-event": "Adverse event",
    "adverse-event-edit": "Adverse event (edit form)",
    "adverse-event-form": "Adverse event form",
    "adverse-event-medwatch": "Adverse event's MedWatch report",
    "adverse-event-search": "Adverse event search",
    "medication-flag": "Medication flag",
    "medication-flags": "Medication flags",
    "lot-recipients": "Lot recipients",
    "lot-recall-calls": "Recall calls for a lot",
    "stock-movement": "Stock movement",
    "stock-movements": "Stock movements",
    # Dashboard panels that name patients
    "dashboard:serious-events": "Dashboard: serious adverse events",
    "dashboard:medication-flags": "Dashboard: medication flags to review",
    # Exports
    "export:outcomes": "Outcomes report (CSV)",
    "export:adverse-events": "Adverse events report (CSV)",
    "export:doses-by-lot": "Doses by lot report (CSV)",
    "export:follow-up-compliance": "Follow-up compliance report (CSV)",
    "export:lot-recipients": "Lot recipients (CSV)",
    "export:medwatch-csv": "MedWatch report (CSV)",
    "export:medwatch-json": "MedWatch report (JSON)",
    "export:medwatch-api": "MedWatch report (API)",
    "fhir:bulk-export": "FHIR bulk export",
    "fhir:bulk-file": "FHIR bulk export file",
    # Staff accounts and sign-in
    "staff:invite": "Staff account: invited",
    "staff:roles": "Staff account: roles changed",
    "staff:deactivate": "Staff account: deactivated",
    "staff:reactivate": "Staff account: reactivated",
    "staff:password-link": "Staff account: password link sent",
    "staff:lockout-lift": "Staff account: lockout lifted",
    "staff:second-factor-reset": "Staff account: second factor reset",
    "staff:sign-out-everywhere": "Staff account: signed out everywhere",
    "staff:manager-recovery": "Staff account: manager recovered from the command line",
    "own:authenticator-add": "Own sign-in: authenticator app added",
    "own:authenticator-remove": "Own sign-in: authenticator app removed",
    "own:recovery-codes-new": "Own sign-in: new recovery codes",
    "own:passkey-remove": "Own sign-in: passkey removed",
    "token:create": "API token created",
    "token:revoke": "API token revoked",
}

# A family's label around the words of its detail (an export, a resource type...).
SUBJECT_FAMILIES: dict[str, str] = {
    "export": "Export: {}",
    "history": "Change history: {}",
    "fhir": "FHIR {} resources",
    "staff": "Staff account: {}",
    "own": "Own sign-in: {}",
    "token": "API token: {}",
    "dashboard": "Dashboard: {}",
}


def access_subject_label(subject: str) -> str:
    """e.g. "visit-form" -> "Visit form", "history:patients.patient" -> "Change history:
    patient", an unknown "new-thing" -> "New thing"."""
    if subject in ACCESS_SUBJECT_LABELS:
        return ACCESS_SUBJECT_LABELS[subject]
    family, _, detail = subject.partition(":")
    if detail and family in SUBJECT_FAMILIES:
        return SUBJECT_FAMILIES[family].format(_detail_words(family, detail))
    return _capitalised(_words(subject))


def _detail_words(family: str, detail: str) -> str:
    if family == "history":
        # "patients.patient": the record's kind as its model names it.
        try:
            return str(apps.get_model(detail)._meta.verbose_name)
        except (LookupError, ValueError):
            pass
    return _words(detail)


def _words(code: str) -> str:
    return code.replace("-", " ").replace("_", " ").replace(":", ": ")


def _capitalised(text: str) -> str:
    # str.capitalize would lower the rest: "FHIR" must stay "FHIR".
    return text[:1].upper() + text[1:]
