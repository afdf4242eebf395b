"""The dashboard's panel of staff locked out, for managers, registered from
AccountsConfig.ready()."""

from apps.accounts.selectors import staff_locked_out
from exotrack.dashboard import DASHBOARD
from exotrack.sections import Section


def staff_locked_out_panel(*, user) -> dict:
    """One query: who is locked out now."""
    return {"members": staff_locked_out()}


def register() -> None:
    DASHBOARD.register(
        Section(
            key="staff-locked-out",
            title="Staff locked out",
            permissions=("accounts.manage_staff",),
            template="accounts/_dashboard_locked_out.html",
            load=staff_locked_out_panel,
            order=40,
        )
    )
