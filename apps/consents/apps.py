from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "apps.consents"
    label = "consents"
    verbose_name = "Signed consents"
