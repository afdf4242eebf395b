from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "apps.reports"
    label = "reports"
    verbose_name = "Reports, exports and charts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from apps.reports.episodes import rebuild_in_a_new_zone

        post_migrate.connect(rebuild_in_a_new_zone, sender=self)
