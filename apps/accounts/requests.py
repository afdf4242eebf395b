"""Requests that only signed-in staff reach, typed so: behind `login_required`,
`permission_required` or the API's authentication, `request.user` is a `User`, never the
anonymous user, and services that take `by: User` accept it without a check per call."""

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails
from rest_framework.request import Request

from apps.accounts.models import User


class StaffRequest(HttpRequest):
    """A page request behind `login_required` or `permission_required`."""

    user: User
    # Set on every request by django-htmx's middleware.
    htmx: HtmxDetails


class StaffAPIRequest(Request):
    """An API request that passed authentication and a permission class."""

    if TYPE_CHECKING:

        @property
        def user(self) -> User: ...

        @user.setter
        def user(self, value: User) -> None: ...
