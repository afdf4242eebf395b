"""Who made a change, written into the history of every row the change touches.

Clinical rows keep their history through database triggers (django-pghistory); the
triggers read the actor from the context opened here, so a service names its actor once
and every insert, update and bulk update inside it carries that name."""

import pghistory
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser


def recorded_by(by: AbstractBaseUser | AnonymousUser | None) -> pghistory.context:
    """The history context naming `by` as the actor. A write no staff member makes (a
    task, a patient's own link) passes None, and names its process in its own context."""
    return pghistory.context(user=getattr(by, "pk", None))
