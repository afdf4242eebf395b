from django.conf import settings
from django.http import HttpRequest

from exotrack.navigation import visible_navigation
from exotrack.roles import ROLE_LABELS, roles_of


def site(request: HttpRequest) -> dict:
    user = request.user
    return {
        "navigation": visible_navigation(user, request.path),
        "role_labels": [ROLE_LABELS[r] for r in roles_of(user)],
        "clinic_time_zone": settings.CLINIC_TIME_ZONE,
    }
