"""The "Follow-ups" section of the patient page (apps/patients/views.py asks for it)."""

from apps.followups.selectors.follow_ups import VIEW_PERMISSION, patient_follow_ups


def patient_follow_ups_context(user, patient) -> dict:
    """One query: the patient's follow-ups, for staff who may see them."""
    if not user.has_perm(VIEW_PERMISSION):
        return {}
    return {"follow_ups": list(patient_follow_ups(patient=patient))}
