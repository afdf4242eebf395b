"""The visit page's injection-map section, from this app's selectors."""

from django import template

from apps.injection_maps.selectors import visit_injection_maps

register = template.Library()


@register.inclusion_tag("injection_maps/_visit_maps.html", takes_context=True)
def visit_maps_section(context, visit) -> dict:
    user = context["user"]
    visible = all(
        user.has_perm(code)
        for code in ("treatments.view_visit", "treatments.view_dose", "patients.view_clinical")
    )
    return {
        "visible": visible,
        "visit": visit,
        "maps": visit_injection_maps(visit=visit) if visible else [],
        "may_edit": visible
        and not visit.is_voided
        and user.has_perm("injection_maps.add_injectionpoint"),
    }
