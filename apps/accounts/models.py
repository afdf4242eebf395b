from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A member of clinic staff. Patients never log in."""

    # Shown on records they sign (visits, flags); falls back to the full name.
    display_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def role_names(self) -> list[str]:
        from exotrack.roles import roles_of

        return roles_of(self)
