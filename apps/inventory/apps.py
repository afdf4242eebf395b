from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "apps.inventory"
    label = "inventory"
    verbose_name = "Products, lots and stock"

    def ready(self) -> None:
        from apps.inventory import sections

        sections.register()
