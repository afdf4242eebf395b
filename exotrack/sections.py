"""Sections of the pages that show several apps' records: the patient page, the lot page
and the dashboard. The page's own app owns the page; every app that has something to
show there registers a section from its `AppConfig.ready()`, so the page's view never
imports another app's views, and exotrack never imports an app.

A section names the permissions it needs (all of them) and a loader that reads its rows
through the owning app's selectors. The page calls each loader with the same keyword
arguments, documented beside the page below."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Section:
    key: str
    template: str
    load: Callable[..., dict]
    permissions: tuple[str, ...] = ()
    # A page draws a titled card around the section; an untitled section's template
    # draws its own card (it is also the partial an htmx request swaps in whole).
    title: str = ""
    # Where the section stands among the page's others, lowest first: apps register in
    # INSTALLED_APPS order, which is not the order a clinician reads the page in.
    order: int = 0


@dataclass(frozen=True)
class ShownSection:
    key: str
    title: str
    template: str
    context: dict


@dataclass
class Page:
    name: str
    _sections: dict[str, Section] = field(default_factory=dict)

    def register(self, section: Section) -> None:
        if section.key in self._sections:
            raise ImproperlyConfigured(f"{self.name} page: two sections named {section.key!r}.")
        self._sections[section.key] = section

    def registered(self) -> list[Section]:
        """Every section of the page, in page order."""
        return sorted(self._sections.values(), key=lambda s: s.order)

    def sections_for(self, user) -> list[Section]:
        """The sections `user` may see, in page order."""
        perms = user.get_all_permissions()
        return [s for s in self.registered() if perms.issuperset(s.permissions)]

    def shown(self, *, user, **subject) -> list[ShownSection]:
        """The sections `user` may see, each loaded with `user` and `subject`."""
        return [
            ShownSection(s.key, s.title, s.template, s.load(user=user, **subject))
            for s in self.sections_for(user)
        ]


# load(*, user, patient): below the patient's identity and risk profile.
PATIENT_PAGE = Page("patient")
# load(*, user, lot, request): the lot page's action column, beside stock and status.
# The request is given because a section may page its rows or log their reading.
LOT_PAGE_ACTIONS = Page("lot actions")
# load(*, user, lot, request): the lot page's full-width cards, above the stock ledger.
LOT_PAGE = Page("lot")
