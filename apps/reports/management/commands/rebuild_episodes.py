"""`manage.py rebuild_episodes`: recompute the reports' episodes table from the records.

Triggers keep it exact through every write; run this after writing with them disabled
(a restore, a bulk fix in psql under `exotrack.episodes_deferred`), or to check it:
`--check` compares it with a full recomputation and changes nothing."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.reports.episodes import episodes_out_of_step, rebuild_episodes


class Command(BaseCommand):
    help = "Recompute every episode of the reports (one row per dose) from the records."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only compare the table with a full recomputation; fail if they differ.",
        )

    def handle(self, *args, check: bool, **options) -> None:
        started = time.monotonic()
        if check:
            extra, missing = episodes_out_of_step()
            if extra or missing:
                raise CommandError(
                    f"Episodes out of step: {extra} rows kept that a recomputation does not "
                    f"give, {missing} rows it gives that are not kept."
                )
            self.stdout.write(self.style.SUCCESS("Episodes match a full recomputation."))
            return
        with transaction.atomic():
            count = rebuild_episodes()
        self.stdout.write(
            self.style.SUCCESS(f"Rebuilt {count} episodes in {time.monotonic() - started:.1f} s.")
        )
