"""Demo users: one per role, each in the role's Django group (rights: stockbook/access/roles.py); the
regional manager's data scope is the 华东 region."""
from django.contrib.auth.models import Group, User
from django.db import transaction

DEMO_PASSWORD = "demo2026"  # every demo login uses it; the demo is for trying Stockbook, not for production

# username, group (role), 姓, 名, staff, superuser
USERS = [
    ("admin", "系统管理员", "系统", "管理员", True, True),
    ("buyer", "采购", "王", "磊", False, False),
    ("seller", "销售", "李", "娜", False, False),
    ("warehouse", "仓库", "赵", "建国", False, False),
    ("accountant", "财务", "陈", "静", False, False),
    ("chief", "财务主管", "周", "敏", False, False),
    ("manager_east", "区域经理", "孙", "志强", False, False),
    ("boss", "管理层", "刘", "建华", False, False),
    ("auditor", "审计", "吴", "晓燕", False, False),
]
ROLE_NOTES = {"区域经理": "华东区"}


@transaction.atomic
def ensure_users(password: str = DEMO_PASSWORD) -> list[dict]:
    """Create the groups and users that are missing; an existing user keeps its password."""
    from stockbook.access.models import Scope
    from stockbook.access.roles import ensure_roles
    from stockbook.masterdata.models import Region

    ensure_roles()
    out = []
    for username, group, last, first, staff, superuser in USERS:
        g, _ = Group.objects.get_or_create(name=group)
        u = User.objects.filter(username=username).first()
        if u is None:
            u = User(username=username, last_name=last, first_name=first, email=f"{username}@demo.stockbook.cn",
                     is_staff=staff, is_superuser=superuser)
            u.set_password(password)
            u.save()
        u.groups.add(g)
        if group in ROLE_NOTES:
            regions = Region.objects.filter(name=ROLE_NOTES[group].rstrip("区"))
            if regions.exists():
                scope, _ = Scope.objects.get_or_create(user=u)
                scope.regions.add(*regions)
        role = group + (f"（{ROLE_NOTES[group]}）" if group in ROLE_NOTES else "")
        out.append({"username": username, "password": password, "role": role, "name": last + first})
    return out
