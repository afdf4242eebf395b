"""The list pages at clinic scale (visits, adverse events, medication flags, the access
log), as the role that reads each: the whole request through Django's test client.

    .venv/bin/python bench/list_pages.py [--runs 30]

Each list counts at most 10,000 rows (`exotrack/paging.py`) and reads newest first from
an index, so the first page, a deep page and a filtered page should cost about the same
whatever the table's size. Writes bench/results/list_pages.md.
"""

import argparse

from _common import (
    TABLE_HEAD,
    TABLE_RULE,
    database_size,
    explain,
    load_average,
    measure,
    setup_django,
    write_section,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="Requests per case.")
    runs = parser.parse_args().runs
    setup_django()
    from django.contrib.auth.models import Group
    from django.test import Client
    from django.urls import reverse

    from apps.accounts.models import User
    from apps.treatments.models import Visit
    from exotrack.roles import ensure_roles

    def signed_in(group: str) -> Client:
        user = User.objects.filter(groups__name=group).order_by("id").first()
        if user is None:
            # The synthetic clinic has clinicians only; the access log is a manager's page.
            ensure_roles()
            user, _ = User.objects.get_or_create(username=f"bench-{group}")
            user.groups.add(Group.objects.get(name=group))
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        return client

    clinician, manager = signed_in("clinician"), signed_in("manager")
    load_before = load_average()

    def get(client: Client, url: str):
        def call():
            response = client.get(url, secure=True)
            if response.status_code != 200:
                where = response.get("Location", "")
                raise SystemExit(f"{url}: HTTP {response.status_code} {where}")
            return response

        return call

    cases = [
        ("visits, page 1", clinician, reverse("treatments:visit-list")),
        ("visits, page 100", clinician, reverse("treatments:visit-list") + "?page=100"),
        (
            "visits, page 200 (the last counted)",
            clinician,
            reverse("treatments:visit-list") + "?page=200",
        ),
        ("adverse events, page 1", clinician, reverse("safety:adverse-event-list")),
        ("medication flags, page 1", clinician, reverse("safety:flag-list")),
        ("access log, page 1", manager, reverse("audit:access-log")),
    ]
    timings = [measure(label, [get(client, url)] * runs) for label, client, url in cases]
    newest = Visit.objects.order_by("-visited_at", "-id")[:50]
    write_section(
        "list_pages",
        "\n".join(
            [
                "## List pages (Django test client, newest first, capped count)",
                "",
                database_size(),
                f"Each case: {runs} requests after 3 warm-up requests; the time covers "
                "middleware, the access log, the capped count, one page of rows and the "
                f"template. Load average before/after: {load_before} / {load_average()}.",
                "",
                TABLE_HEAD,
                TABLE_RULE,
                *(timing.row() for timing in timings),
                "",
                "Plan of the visit list's first page:",
                "",
                explain(newest),
            ]
        ),
    )


if __name__ == "__main__":
    main()
