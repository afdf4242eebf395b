from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "apps.consents"
    label = "consents"
    verbose_name = "Signed consents"

    def ready(self) -> None:
        from apps.consents import receivers  # noqa: F401  (connects to treatments' signals)
