from rest_framework.permissions import BasePermission, DjangoModelPermissions


class RolePermission(DjangoModelPermissions):
    """Model permissions from the staff role, reads included.

    DRF's default lets any signed-in user read; a front-desk account must not read
    clinical lists, so GET needs the model's `view_` permission too. Views without a
    queryset (e.g. schema, scans) only require a signed-in user.
    """

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": [],
    }

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return True
        return super().has_permission(request, view)


def requires(*perms: str) -> type[BasePermission]:
    """A permission class for an action that needs other permissions than its model's."""

    class Requires(BasePermission):
        def has_permission(self, request, view) -> bool:
            return bool(request.user and request.user.is_authenticated) and request.user.has_perms(
                perms
            )

    return Requires
