from django.contrib import messages
from django.contrib.auth.views import LogoutView
from django.http import HttpRequest, HttpResponse


class StaffLogoutView(LogoutView):
    """Sign out (POST only) and confirm it on the sign-in page, so the next person at a
    shared workstation sees the previous account is closed."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.success(request, "You are signed out.")
        return response
