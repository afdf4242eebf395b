from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "apps.safety"
    label = "safety"
    verbose_name = "Adverse events, medication flags, recalls and safety signals"

    def ready(self) -> None:
        from apps.safety import receivers  # noqa: F401  (connects to treatments' signals)
        from apps.safety.api.recalls import LotRecallActions
        from exotrack.api.extensions import resource_actions_add

        resource_actions_add("lots", LotRecallActions)
