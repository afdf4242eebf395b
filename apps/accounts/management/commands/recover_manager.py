"""When the last manager cannot pass the second step, nobody can reset it from the Staff
page: the server's operator runs this instead. It is logged (access log, history, the
console log) under the operator's name."""

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import User
from apps.accounts.services.staff import manager_recover


class Command(BaseCommand):
    help = (
        "Remove a clinic manager's second factor and lift their lockouts, so they enrol "
        "again at their next sign-in."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="The manager's username.")
        parser.add_argument(
            "--password-link",
            action="store_true",
            help="Also e-mail them a link to set a new password.",
        )
        parser.add_argument(
            "--operator",
            default=None,
            help="Who runs this, for the log (default: the system user).",
        )

    def handle(self, *args, username: str, password_link: bool, operator: str | None, **opts):
        member = User.objects.filter(username=username).first()
        if member is None:
            raise CommandError(f"No staff account {username!r}.")
        who = operator or getpass.getuser()
        try:
            removed = manager_recover(member=member, operator=who, send_password_link=password_link)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            f"{member.username}: {removed} second-factor device(s) removed and lockouts lifted; "
            "they enrol again at their next sign-in."
        )
        if password_link:
            self.stdout.write(f"A set-password link went to {member.email}.")
