from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "apps.treatments"
    label = "treatments"
    verbose_name = "Visits and doses"

    def ready(self) -> None:
        from apps.treatments import sections

        sections.register()
