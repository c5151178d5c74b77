"""A test user holding one of the built-in roles (stockbook/access/roles.py)."""


def role_user(username: str, role: str, password: str = "pw-role-1", **fields):
    from django.contrib.auth.models import Group, User

    from stockbook.access.roles import ensure_roles

    ensure_roles()
    u = User.objects.create_user(username, password=password, **fields)
    u.groups.add(Group.objects.get(name=role))
    return u
