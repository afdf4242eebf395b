from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "apps.followups"
    label = "followups"
    verbose_name = "Follow-ups, reminders and patient self-reports"

    def ready(self) -> None:
        # Importing the receivers connects them to treatments' signals.
        from apps.followups import receivers, sections  # noqa: F401

        sections.register()
