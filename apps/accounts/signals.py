from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from apps.accounts.middleware import ENROL, SECOND_STEP, VERIFY
from apps.accounts.selectors import second_factor_devices, second_factor_required
from exotrack.middleware import mark_session_start


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs) -> None:
    mark_session_start(request)


@receiver(user_logged_in)
def ask_for_second_factor(sender, request, user, **kwargs) -> None:
    """Decide at sign-in what the second step needs: a code (or passkey) from a member who
    has one, enrolment from one whose role requires it and who has none."""
    if second_factor_devices(user):
        request.session[SECOND_STEP] = VERIFY
    elif second_factor_required(user):
        request.session[SECOND_STEP] = ENROL
    else:
        request.session.pop(SECOND_STEP, None)
