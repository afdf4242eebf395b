import hashlib
from typing import TYPE_CHECKING, ClassVar

import pghistory
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.models import Device
from knox.models import AbstractAuthToken


# The password hash and the sign-in time are left out: history must never hold a
# password hash, and a row per sign-in would bury the changes a manager made.
@pghistory.track(exclude=["password", "last_login"])
class User(AbstractUser):
    """A member of clinic staff. Patients never log in. Never deleted: deactivated."""

    # Shown on records they sign (visits, flags); falls back to the full name.
    display_name = models.CharField(max_length=150, blank=True)
    # Raised to end every open session of this member at once ("sign out everywhere",
    # deactivation) without touching their password.
    session_generation = models.PositiveIntegerField(default=0)
    # The second sign-in step locks on its own after MFA_FAILURE_LIMIT wrong codes.
    second_step_failures = models.PositiveSmallIntegerField(default=0)
    second_step_locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        permissions = [("manage_staff", "Can invite staff and change their accounts")]

    if TYPE_CHECKING:
        # Set on the signed-in user by django-otp's middleware on every request.
        def is_verified(self) -> bool: ...

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def role_names(self) -> list[str]:
        from exotrack.roles import roles_of

        return roles_of(self)

    @property
    def second_step_locked(self) -> bool:
        return bool(
            self.second_step_locked_until and self.second_step_locked_until > timezone.now()
        )

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django checks this on every request: a new generation ends the open sessions.
        # Generation 0 keeps Django's own value, so sessions opened before it survive.
        if not self.session_generation:
            # django-stubs leave out this private method of AbstractBaseUser.
            return super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        return salted_hmac(
            "apps.accounts.User.session",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class RecoveryCodeSet(Device):
    """One-use recovery codes, a django-otp device so a code passes the second step like
    an authenticator does. Only their SHA-256 is kept (django-otp's own static tokens are
    stored in clear): the codes are random and long enough that a plain hash suffices."""

    class Meta:
        verbose_name = "recovery code set"

    if TYPE_CHECKING:
        # django-otp ships no types, so its DeviceManager is invisible to mypy; naming
        # the manager lets the member's `recoverycodeset_set` resolve.
        _default_manager: ClassVar[models.Manager["RecoveryCodeSet"]]

    def verify_token(self, token: str) -> bool:
        used = self.codes.filter(digest=recovery_code_digest(token)).delete()[0]
        return used > 0


class RecoveryCode(models.Model):
    code_set = models.ForeignKey(RecoveryCodeSet, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code_set", "digest"], name="recovery_code_unique")
        ]

    def __str__(self) -> str:
        return f"Recovery code of {self.code_set.user}"


def recovery_code_digest(code: str) -> str:
    # Typed codes may carry spaces, dashes or lower case; they are compared without them.
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


@pghistory.track(exclude=["digest", "last_used_at"])
class ApiToken(AbstractAuthToken):
    """A member's personal API token (django-rest-knox): only its hash is stored. A
    revoked token is deleted; its history row keeps who made and revoked it."""

    name = models.CharField(max_length=80)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]

    if TYPE_CHECKING:
        # knox ships no types, so its AuthTokenManager is invisible to mypy; naming the
        # manager lets the member's `auth_token_set` resolve.
        _default_manager: ClassVar[models.Manager["ApiToken"]]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()
