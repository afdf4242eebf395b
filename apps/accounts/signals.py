from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from exotrack.middleware import mark_session_start


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs) -> None:
    mark_session_start(request)
