"""Dashboard panels. Each panel is shown only to roles with its permissions and reads its
rows through the owning app's selectors; the apps register their panels here from
`AppConfig.ready()` (see exotrack.sections), so the dashboard imports no app."""

from exotrack.sections import Page

# load(*, user): each panel's rows for the user looking at the dashboard.
DASHBOARD = Page("dashboard")


def dashboard_panels(user) -> list[dict]:
    # A panel's template reads its rows as `panel.<name>` beside its key and title.
    return [
        {"key": panel.key, "title": panel.title, "template": panel.template, **panel.context}
        for panel in DASHBOARD.shown(user=user)
    ]
