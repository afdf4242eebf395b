from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "apps.outcomes"
    label = "outcomes"
    verbose_name = "Outcome assessments"

    def ready(self) -> None:
        from apps.outcomes import sections

        sections.register()
