"""The patient page's "Consents" section, rendered from the consents app's own selectors."""

from django import template

from apps.consents.selectors import patient_consent_requests, patient_consents, visit_consents

register = template.Library()


@register.inclusion_tag("consents/_patient_consents.html", takes_context=True)
def patient_consents_section(context, patient) -> dict:
    user = context["user"]
    visible = user.has_perm("consents.view_signedconsent") and user.has_perm(
        "patients.view_clinical"
    )
    return {
        "visible": visible,
        "patient": patient,
        "consents": list(patient_consents(patient=patient)) if visible else [],
        "requests": list(patient_consent_requests(patient=patient)) if visible else [],
        "may_sign": visible
        and not patient.is_voided
        and user.has_perm("consents.add_signedconsent"),
    }


@register.inclusion_tag("consents/_visit_consents.html", takes_context=True)
def visit_consents_section(context, visit) -> dict:
    user = context["user"]
    visible = user.has_perm("consents.view_signedconsent") and user.has_perm(
        "patients.view_clinical"
    )
    return {
        "visible": visible,
        "visit": visit,
        "consents": visit_consents(visit=visit) if visible else [],
    }
