"""One conversation with the mail server for a batch of reminder e-mails, keeping the
server's reply to each message.

Django's SMTP backend opens the connection (TLS, SSL and login as EMAIL_URL says). Each
message then goes through smtplib's MAIL, RCPT and DATA one by one rather than
`sendmail`, because the delivery log needs the final reply code and text of each
message, which `sendmail` drops. Other backends (files under `make run`, memory in the
test suite) give no reply: a message they took counts as accepted with no code."""

import smtplib
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address


@dataclass(frozen=True)
class Reply:
    """What the mail server said about one message."""

    accepted: bool
    code: int | None = None
    text: str = ""
    # A refusal that a retry cannot change: 5xx, or an address that cannot be written.
    permanent: bool = False
    # The server could not be reached at all: the rest of the batch need not try.
    unreachable: bool = False


def _refusal(code: int, text: bytes | str) -> Reply:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return Reply(accepted=False, code=code, text=text, permanent=code >= 500)


class ReminderOutbox:
    """Use as a context manager around one batch: at most one connection is opened for
    it, and opened again only when the server drops it mid-batch. `connections_opened`
    counts them."""

    def __init__(self) -> None:
        self.backend = get_connection(fail_silently=False)
        # Django's SMTP backend is spoken to command by command; any other just sends.
        self.smtp = self.backend if isinstance(self.backend, SmtpBackend) else None
        self.connections_opened = 0

    def __enter__(self) -> "ReminderOutbox":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close()

    def send(self, message: EmailMessage) -> Reply:
        if self.smtp is None:
            return self._send_through_backend(message)
        try:
            connection = self._open(self.smtp)
        except (OSError, smtplib.SMTPException) as exc:
            self._close()
            return _unreachable(exc)
        try:
            return self._converse(message, connection)
        except smtplib.SMTPResponseException as exc:
            # e.g. DATA itself refused (no 354): the conversation may still be usable.
            self._reset(connection)
            return _refusal(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPException) as exc:
            # Dropped or timed out mid-message: nothing was accepted. Open anew next time.
            self._close()
            return Reply(accepted=False, text=str(exc) or type(exc).__name__)

    def _converse(self, message: EmailMessage, connection: smtplib.SMTP) -> Reply:
        encoding = message.encoding or settings.DEFAULT_CHARSET
        try:
            sender = sanitize_address(message.from_email, encoding)
            recipient = sanitize_address(message.to[0], encoding)
        except ValueError as exc:
            return Reply(accepted=False, text=f"Address refused here: {exc}", permanent=True)
        # Django 5.2's message is its SafeMIME class, whose as_bytes takes the line ending;
        # the stubs describe Django 6's, a plain email.message.Message.
        data = message.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
        # `sendmail` greets the server itself; MAIL alone does not.
        connection.ehlo_or_helo_if_needed()
        code, text = connection.mail(sender)
        if code != 250:
            self._reset(connection)
            return _refusal(code, text)
        code, text = connection.rcpt(recipient)
        if code not in (250, 251):
            self._reset(connection)
            return _refusal(code, text)
        code, text = connection.data(data)
        if code != 250:
            self._reset(connection)
            return _refusal(code, text)
        return Reply(accepted=True, code=code, text=text.decode("utf-8", "replace"))

    def _send_through_backend(self, message: EmailMessage) -> Reply:
        try:
            taken = self.backend.send_messages([message])
        except OSError as exc:
            return Reply(accepted=False, text=str(exc) or type(exc).__name__)
        return Reply(accepted=bool(taken))

    def _open(self, smtp: SmtpBackend) -> smtplib.SMTP:
        if smtp.connection is None:
            smtp.open()
            self.connections_opened += 1
        # open() leaves a connection or raises: this backend does not fail silently.
        return cast(smtplib.SMTP, smtp.connection)

    def _reset(self, connection: smtplib.SMTP) -> None:
        try:
            connection.rset()
        except (OSError, smtplib.SMTPException):
            self._close()

    def _close(self) -> None:
        try:
            self.backend.close()
        except (OSError, smtplib.SMTPException):
            # Django's close() ignores a dropped connection; anything else left is moot.
            if self.smtp is not None:
                self.smtp.connection = None


def _unreachable(exc: Exception) -> Reply:
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", b"") or str(exc) or type(exc).__name__
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    # Even a 5xx greeting says nothing about the patient's address: retried, then failed.
    return Reply(accepted=False, code=code, text=text, unreachable=True)
