"""People and workflows for the approval tests.

The conftest company (ACME, warehouse WH1, item A001 with tax 13 %, supplier S01, customer C01) plus:
buyer (采购: makes purchase documents), seller (销售), fin1/fin2 (财务主管, approve), boss1/boss2 (管理层,
approve), keeper (仓库: no 审批 right), solo (采购 + 财务主管: a one-person company's owner).
Every user's password is ``pw-<name>``.
"""
import pytest

PEOPLE = {"buyer": ["采购"], "seller": ["销售"], "fin1": ["财务主管"], "fin2": ["财务主管"], "boss1": ["管理层"],
          "boss2": ["管理层"], "keeper": ["仓库"], "solo": ["采购", "财务主管"]}


def pw(user) -> str:
    return f"pw-{user.username}"


def receipt(ref="R-1", qty="10", price="6000", date="2026-01-05", **kw):
    """A purchase receipt of 10 × 6,000.00 = 60,000.00."""
    return {"type": "purchase_receipt", "ref": ref, "date": date, "supplier": "S01", "warehouse": "WH1",
            "lines": [{"item": "A001", "qty": qty, "unit_price": price}], **kw}


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.NOTIFY_DISPATCH = "defer"  # no robots in these tests; the in-app rows are what we check
    settings.STOCKBOOK_ALLOW_SELF_APPROVAL = False
    settings.LANGUAGE_CODE = "zh-hans"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # argon2 is slow on purpose


@pytest.fixture
def people(company):
    from django.contrib.auth.models import Group, User

    from stockbook.access.roles import ensure_roles

    ensure_roles()
    out = {}
    for name, roles in PEOPLE.items():
        u = User.objects.create_user(name, password=f"pw-{name}")
        u.groups.add(*Group.objects.filter(name__in=roles))
        out[name] = User.objects.get(pk=u.pk)  # fresh: no cached permissions
    return out


@pytest.fixture
def make_workflow(db):
    """make_workflow([{"mode": "any", "roles": ["财务主管"], "users": [u], "timeout_hours": 24,
    "escalate_to_role": "管理层"}, ...], doc_type=..., min_amount=分, max_amount=分)."""
    from django.contrib.auth.models import Group

    from stockbook.approvals.models import Step, Workflow

    def make(steps, doc_type="purchase_receipt", min_amount=None, max_amount=None, name=None, priority=0, active=True):
        wf = Workflow.objects.create(doc_type=doc_type, name=name or f"{doc_type} 审批", min_amount=min_amount,
                                     max_amount=max_amount, priority=priority, active=active)
        for level, s in enumerate(steps, 1):
            esc = Group.objects.get(name=s["escalate_to_role"]) if s.get("escalate_to_role") else None
            step = Step.objects.create(workflow=wf, level=level, name=s.get("name", ""), mode=s.get("mode", "any"),
                                       timeout_hours=s.get("timeout_hours"), escalate_to_role=esc)
            step.roles.set(Group.objects.filter(name__in=s.get("roles", [])))
            step.users.set(s.get("users", []))
        return wf

    return make


@pytest.fixture
def two_levels(make_workflow):
    """purchase receipts from 50,000.00: 财务主管 (或签), then 管理层 (或签)."""
    return make_workflow([{"name": "财务主管审批", "mode": "any", "roles": ["财务主管"]},
                          {"name": "管理层审批", "mode": "any", "roles": ["管理层"]}], min_amount=5_000_000)


@pytest.fixture
def submit(people, post_json):
    """submit(doc, user=buyer) → the pending ApprovalRequest (asserting the result is pending)."""
    def _submit(doc=None, user=None, source="web"):
        res = post_json(doc or receipt(), user=user or people["buyer"], source=source)
        assert res.status == "pending", res
        return res.approval

    return _submit
