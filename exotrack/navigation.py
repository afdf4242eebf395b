"""The site navigation: each entry names the permission that makes it visible, so a
role sees only what it may use. Apps' pages are named by URL name, not imported."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    permission: str | None  # None: every signed-in staff member


NAVIGATION: list[NavItem] = [
    NavItem("Dashboard", "dashboard", None),
    NavItem("Patients", "patients:list", "patients.view_patient"),
    NavItem("Visits", "treatments:visit-list", "treatments.view_visit"),
    NavItem("Medication flags", "safety:flag-list", "safety.view_medicationflag"),
    NavItem("Follow-ups", "followups:worklist", "followups.view_followup"),
    NavItem("Adverse events", "safety:adverse-event-list", "safety.view_adverseevent"),
    NavItem("Lots", "inventory:lot-list", "inventory.view_lot"),
    NavItem("Safety signals", "safety:signals", "safety.view_lotsignal"),
    NavItem("Reports", "reports:page", "reports.view_reports"),
    NavItem("Products", "inventory:product-list", "inventory.change_product"),
    NavItem("Treatment sites", "treatments:site-list", "treatments.change_treatmentsite"),
    NavItem(
        "Adverse-event types",
        "safety:adverse-event-type-list",
        "safety.change_adverseeventtype",
    ),
    NavItem("Consent forms", "consents:form-list", "consents.add_consentversion"),
    NavItem(
        "Medication classes",
        "patients:medication-class-list",
        "patients.change_medicationclass",
    ),
    NavItem("Follow-up rules", "followups:rule-list", "followups.view_followuprule"),
    NavItem("Import patients", "imports:list", "imports.import_patients"),
    NavItem("Access log", "audit:access-log", "audit.view_accesslog"),
    NavItem("Clinic", "clinic:profile", "clinic.change_clinicprofile"),
    NavItem("Staff", "staff-list", "accounts.manage_staff"),
    NavItem("Your account", "account-security", None),
    NavItem("API", "api-docs", None),
]


def visible_navigation(user, current_path: str) -> list[dict]:
    if not user.is_authenticated:
        return []
    perms = user.get_all_permissions()
    items: list[dict[str, str | bool]] = []
    for item in NAVIGATION:
        if item.permission and item.permission not in perms:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        matches = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"label": item.label, "url": url, "active": matches})
    # One tab is current, the longest match: Medication classes, under /patients/, is
    # not Patients as well.
    current = max((e for e in items if e["active"]), key=lambda e: len(str(e["url"])), default=None)
    for entry in items:
        entry["active"] = entry is current
    return items
