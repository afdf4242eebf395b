"""The visit page's consents section, rendered from the consents app's own selectors."""

from django import template

from apps.consents.sections import SEE_CONSENTS
from apps.consents.selectors import visit_consents

register = template.Library()


@register.inclusion_tag("consents/_visit_consents.html", takes_context=True)
def visit_consents_section(context, visit) -> dict:
    user = context["user"]
    visible = user.has_perms(SEE_CONSENTS)
    return {
        "visible": visible,
        "visit": visit,
        "consents": visit_consents(visit=visit) if visible else [],
    }
