"""Dashboard panels. Each panel is shown only to roles with its permission and reads
its rows through the owning app's selectors (the one place exotrack calls into apps)."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    permission: str
    template: str
    load: Callable[..., dict]


PANELS: list[Panel] = []

from apps.inventory.selectors import stock_panel  # noqa: E402

PANELS.append(
    Panel(
        "stock",
        "Stock to watch",
        "inventory.change_lot",
        "inventory/_dashboard_stock.html",
        stock_panel,
    )
)

from apps.safety.selectors.adverse_events import serious_events_panel  # noqa: E402

PANELS.append(
    Panel(
        "serious-events",
        "Serious adverse events",
        "safety.change_adverseevent",
        "safety/_dashboard_serious.html",
        serious_events_panel,
    )
)


from apps.safety.selectors.medication_flags import flags_panel  # noqa: E402

PANELS.append(
    Panel(
        "medication-flags",
        "Medication flags to review",
        "safety.view_medicationflag",
        "safety/medication_flags/_dashboard_flags.html",
        flags_panel,
    )
)


def dashboard_panels(user) -> list[dict]:
    perms = user.get_all_permissions()
    shown = []
    for panel in PANELS:
        if panel.permission in perms:
            shown.append(
                {
                    "key": panel.key,
                    "title": panel.title,
                    "template": panel.template,
                    **panel.load(user=user),
                }
            )
    return shown
