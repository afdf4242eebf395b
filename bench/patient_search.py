"""Patient search at clinic scale, per kind of query, as a clinician: the selector
alone (the count for the pager plus the first 50 rows) and the patient list page with
?q= through Django's test client (what staff wait for: middleware, session, access log,
count, rows and template).

    .venv/bin/python bench/patient_search.py [--runs 40]

Writes bench/results/patient_search.md: timings and query counts, how often the wanted
patient is found, which typing mistakes the name search forgives, and EXPLAIN ANALYZE
of each kind of search.
"""

import argparse
import random
import string
from urllib.parse import urlencode

from _common import (
    TABLE_HEAD,
    TABLE_RULE,
    database_size,
    explain,
    explain_count,
    load_average,
    measure,
    setup_django,
    write_section,
)
from _pages import measure_pages, page, signed_in

PAGE_SIZE = 50


def swapped(name: str, rng: random.Random) -> str:
    """Two neighbouring letters swapped inside the name: Lambert -> Lamebrt."""
    # Only where the two letters differ: swapping the "ll" of Collins changes nothing.
    places = [i for i in range(1, len(name) - 1) if name[i] != name[i + 1]] or [0]
    at = rng.choice(places)
    return name[:at] + name[at + 1] + name[at] + name[at + 2 :]


def dropped(name: str, rng: random.Random) -> str:
    """One letter left out: Lambert -> Lambrt."""
    at = rng.randrange(1, len(name))
    return name[:at] + name[at + 1 :]


def doubled(name: str, rng: random.Random) -> str:
    """One letter typed twice: Lambert -> Lambbert."""
    at = rng.randrange(1, len(name))
    return name[:at] + name[at] + name[at:]


def replaced(name: str, rng: random.Random) -> str:
    """One letter replaced by another: Lambert -> Lanbert."""
    at = rng.randrange(1, len(name))
    other = rng.choice([c for c in string.ascii_lowercase if c != name[at].lower()])
    return name[:at] + other + name[at + 1 :]


TYPOS = {
    "swapped letters": swapped,
    "letter left out": dropped,
    "letter doubled": doubled,
    "letter replaced": replaced,
}


def misspelled(name: str, rng: random.Random) -> str:
    return rng.choice(list(TYPOS.values()))(name, rng)


QUERIES = {
    "misspelled surname": lambda p, rng: misspelled(p.last_name, rng),
    "first name + misspelled surname": lambda p, rng: (
        f"{p.first_name} {misspelled(p.last_name, rng)}"
    ),
    "first + last name": lambda p, rng: f"{p.first_name} {p.last_name}",
    "MRN": lambda p, rng: p.mrn,
    "date of birth": lambda p, rng: p.date_of_birth.isoformat(),
    "e-mail": lambda p, rng: p.email.upper() if rng.random() < 0.5 else p.email,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="Patients searched per kind.")
    runs = parser.parse_args().runs
    setup_django()
    from django.core.paginator import Paginator
    from django.urls import reverse

    from apps.accounts.models import User
    from apps.patients.models import Patient
    from apps.patients.selectors import patient_search

    clinician = User.objects.filter(groups__name="clinician").order_by("id").first()
    client = signed_in("clinician")
    rng = random.Random(2026)
    current = Patient.objects.filter(voided_at__isnull=True).exclude(email="")
    ids = list(current.values_list("id", flat=True))
    wanted = list(Patient.objects.filter(id__in=rng.sample(ids, runs)).order_by("id"))

    def search(query: str):
        return patient_search(query=query, user=clinician)

    def first_page(query: str) -> list:
        page = Paginator(search(query), PAGE_SIZE).get_page(1)
        return [page.paginator.count, *page.object_list]

    def found(patient, query: str) -> bool:
        return search(query).filter(pk=patient.pk).exists()

    def list_page(query: str):
        return page(client, reverse("patients:list") + "?" + urlencode({"q": query}))

    load_before = load_average()
    rows, page_rows, plans = [], [], []
    for kind, make_query in QUERIES.items():
        queries = [(patient, make_query(patient, rng)) for patient in wanted]
        timing = measure(kind, [lambda q=q: first_page(q) for _, q in queries])
        through_page, writes = measure_pages(kind, [list_page(q) for _, q in queries])
        page_rows.append(through_page.row(writes.cell))
        # A surname alone matches everyone of that name, so the wanted patient may well
        # be on a later page: both are counted.
        on_first_page = sum(
            patient.pk in {p.pk for p in search(q)[:PAGE_SIZE]} for patient, q in queries
        )
        matches = sorted(search(q).count() for _, q in queries)
        rows.append(
            timing.row(
                f"{sum(found(patient, q) for patient, q in queries)}/{len(queries)}",
                f"{on_first_page}/{len(queries)}",
                f"{matches[len(matches) // 2]:,} (max {matches[-1]:,})",
                f"`{queries[0][1]}`",
            )
        )
        queryset = search(queries[0][1])
        plans.append(
            f"#### {kind}: `{queries[0][1]}`\n\nFirst page:\n\n"
            f"{explain(queryset[:PAGE_SIZE])}\n\nCount for the pager:\n\n"
            f"{explain_count(queryset)}\n"
        )
    load_after = load_average()

    forgiven = []
    for typo, make_typo in TYPOS.items():
        typed = [(p, make_typo(p.last_name, rng)) for p in wanted]
        alone = sum(found(p, surname) for p, surname in typed)
        with_first = sum(found(p, f"{p.first_name} {surname}") for p, surname in typed)
        example = f"{typed[0][0].last_name} -> {typed[0][1]}"
        forgiven.append(f"| {typo} | {alone}/{runs} | {with_first}/{runs} | {example} |")

    write_section(
        "patient_search",
        "\n".join(
            [
                "## Patient search (`apps.patients.selectors.patient_search`)",
                "",
                database_size(),
                f"Each case: {runs} different patients, signed in as a clinician, after 3 "
                f"warm-up searches. Load average before/after: {load_before} / {load_after}.",
                "",
                "### Through the page (`/patients/?q=`, Django test client)",
                "",
                "The whole request: middleware, session, access-log entry, capped count, "
                f"{PAGE_SIZE} rows and the template. Session writes: saves of the session "
                "over the case's requests.",
                "",
                TABLE_HEAD + " session writes |",
                TABLE_RULE + "---|",
                *page_rows,
                "",
                f"### The selector alone (count + first {PAGE_SIZE} rows)",
                "",
                TABLE_HEAD + " wanted found | on page 1 | matches: median (max) | example |",
                TABLE_RULE + "---|---|---|---|",
                *rows,
                "",
                "### Which typing mistakes the name search forgives",
                "",
                "One mistake in the surname; is the wanted patient among the matches?",
                "",
                "| mistake | surname alone | first name + surname | example |",
                "|---|---|---|---|",
                *forgiven,
                "",
                "### EXPLAIN (ANALYZE, BUFFERS)",
                "",
                *plans,
            ]
        ),
    )


if __name__ == "__main__":
    main()
