"""The visit page's and patient page's photo sections, from the photos app's selectors."""

from django import template

from apps.photos.selectors import patient_photo_sites, visit_photos

register = template.Library()

_SEE = ("photos.view_photo", "patients.view_clinical", "treatments.view_visit")


def _may_see(user) -> bool:
    return all(user.has_perm(code) for code in _SEE)


@register.inclusion_tag("photos/_visit_photos.html", takes_context=True)
def visit_photos_section(context, visit) -> dict:
    user = context["user"]
    visible = _may_see(user)
    return {
        "visible": visible,
        "visit": visit,
        "photos": list(visit_photos(visit=visit)) if visible else [],
        "may_add": visible and not visit.is_voided and user.has_perm("photos.add_photo"),
    }


@register.inclusion_tag("photos/_patient_photos.html", takes_context=True)
def patient_photos_section(context, patient) -> dict:
    visible = _may_see(context["user"])
    return {
        "visible": visible,
        "patient": patient,
        "sites": patient_photo_sites(patient=patient) if visible else [],
    }
