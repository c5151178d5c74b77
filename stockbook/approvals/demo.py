"""The demo company's approval workflow: purchase receipts over 50,000.00 (from 50,000.01) go to 财务主管
(chief), then 管理层 (boss), 或签 at each level, 24 hours each before escalation (财务主管 → next level;
管理层 → 系统管理员). Idempotent: an existing workflow of that name is left as it is."""
from django.contrib.auth.models import Group
from django.db import transaction

NAME = "大额采购入库审批（5 万元以上）"


@transaction.atomic
def ensure_demo_workflows() -> list:
    from stockbook.access.roles import ensure_roles

    from .models import MODE_ANY, Step, Workflow

    ensure_roles()
    wf = Workflow.objects.filter(name=NAME).first()
    if wf is not None:
        return [wf]
    wf = Workflow.objects.create(doc_type="purchase_receipt", name=NAME, min_amount=5_000_001, priority=10)
    levels = [("财务主管审批", "财务主管", None), ("管理层审批", "管理层", "系统管理员")]
    for level, (name, role, escalate) in enumerate(levels, 1):
        s = Step.objects.create(workflow=wf, level=level, name=name, mode=MODE_ANY, timeout_hours=24,
                                escalate_to_role=Group.objects.filter(name=escalate).first() if escalate else None)
        s.roles.set([Group.objects.get(name=role)])
    return [wf]
