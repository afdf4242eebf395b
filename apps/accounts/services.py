from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from apps.accounts.models import User
from exotrack.roles import ROLE_PERMISSIONS


@transaction.atomic
def staff_user_seed(
    *,
    username: str,
    role: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
) -> tuple[User, bool]:
    """Add a staff account in one role unless the username exists (its password and
    roles may have been changed since). Returns the user and whether it was created now."""
    if role not in ROLE_PERMISSIONS:
        known = ", ".join(sorted(ROLE_PERMISSIONS))
        raise ValidationError({"role": f"Unknown role {role!r}; roles are {known}."})
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        return existing, False
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user, True
