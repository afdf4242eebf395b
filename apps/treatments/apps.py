from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "apps.treatments"
    label = "treatments"
    verbose_name = "Visits and doses"
