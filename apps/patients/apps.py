from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "apps.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from apps.patients import sections

        sections.register()
