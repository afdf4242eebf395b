import pytest
from django.contrib.auth.models import Group

from exotrack import roles


@pytest.mark.django_db
def test_roles_exist_after_migrate_with_their_permissions():
    names = set(Group.objects.values_list("name", flat=True))
    assert {roles.CLINICIAN, roles.NURSE, roles.FRONT_DESK, roles.MANAGER} <= names
    manager = Group.objects.get(name=roles.MANAGER)
    codes = {f"{p.content_type.app_label}.{p.codename}" for p in manager.permissions.all()}
    assert codes == roles.ROLE_PERMISSIONS[roles.MANAGER]


@pytest.mark.django_db
def test_ensure_roles_is_idempotent_and_repairs_drift():
    front = Group.objects.get(name=roles.FRONT_DESK)
    front.permissions.clear()
    roles.ensure_roles()
    roles.ensure_roles()
    assert Group.objects.filter(name=roles.FRONT_DESK).count() == 1
    assert front.permissions.count() == len(roles.ROLE_PERMISSIONS[roles.FRONT_DESK])


@pytest.mark.django_db
def test_unknown_permission_in_role_table_is_refused(monkeypatch):
    monkeypatch.setitem(roles.ROLE_PERMISSIONS, "ghost", {"clinic.fly_to_moon"})
    with pytest.raises(LookupError, match=r"clinic\.fly_to_moon"):
        roles.ensure_roles()
