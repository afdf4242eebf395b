from django.apps import AppConfig


class PhotosConfig(AppConfig):
    name = "apps.photos"
    label = "photos"
    verbose_name = "Before and after photos"

    def ready(self) -> None:
        from apps.photos import sections

        sections.register()
