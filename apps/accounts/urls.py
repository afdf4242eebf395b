from django.contrib.auth import views as auth_views
from django.urls import path

from apps.accounts.forms import StaffLoginForm
from apps.accounts.views import StaffLogoutView, StaffPasswordChangeView

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            authentication_form=StaffLoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", StaffLogoutView.as_view(), name="logout"),
    path("password/", StaffPasswordChangeView.as_view(), name="password-change"),
]
