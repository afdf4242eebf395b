from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "apps.consents"
    label = "consents"
    verbose_name = "Signed consents"

    def ready(self) -> None:
        # Importing the receivers connects them to treatments' signals.
        from apps.consents import receivers, sections  # noqa: F401

        sections.register()
