"""The visit page's photo section, from the photos app's selectors."""

from django import template

from apps.photos.sections import SEE_PHOTOS
from apps.photos.selectors import visit_photos

register = template.Library()


def _may_see(user) -> bool:
    return all(user.has_perm(code) for code in SEE_PHOTOS)


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
