"""The inventory app's dashboard panel, registered from InventoryConfig.ready()."""

from apps.inventory.selectors import stock_panel
from exotrack.dashboard import DASHBOARD
from exotrack.sections import Section


def register() -> None:
    DASHBOARD.register(
        Section(
            key="stock",
            title="Stock to watch",
            permissions=("inventory.change_lot",),
            template="inventory/_dashboard_stock.html",
            load=stock_panel,
            order=10,
        )
    )
