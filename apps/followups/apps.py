from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "apps.followups"
    label = "followups"
    verbose_name = "Follow-ups, reminders and patient self-reports"

    def ready(self) -> None:
        from apps.followups import receivers  # noqa: F401  (connects to treatments' signals)
