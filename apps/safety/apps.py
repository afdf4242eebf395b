from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "apps.safety"
    label = "safety"
    verbose_name = "Adverse events, medication flags, recalls and safety signals"

    def ready(self) -> None:
        # Importing the receivers connects them to treatments' signals.
        from apps.safety import receivers, sections  # noqa: F401

        sections.register()
