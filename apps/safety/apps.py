from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "apps.safety"
    label = "safety"
    verbose_name = "Adverse events, medication flags, recalls and safety signals"

    def ready(self) -> None:
        # Importing the receivers connects them to treatments' signals.
        from apps.safety import receivers, sections  # noqa: F401
        from apps.safety.api.recalls import LotRecallActions
        from exotrack.api.extensions import resource_actions_add

        sections.register()
        # Recall actions belong to safety but live on inventory's lots resource.
        resource_actions_add("lots", LotRecallActions)
