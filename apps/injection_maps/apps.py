from django.apps import AppConfig


class InjectionMapsConfig(AppConfig):
    name = "apps.injection_maps"
    label = "injection_maps"
    verbose_name = "Injection maps"

    def ready(self) -> None:
        from apps.injection_maps import sections

        sections.register()
