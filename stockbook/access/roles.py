"""The built-in roles (Django groups) and the capabilities each gets by default.

Groups stay editable in the UI (角色与权限): ``ensure_roles`` only creates a missing group with its
defaults; ``reset_role`` puts one back to them."""
from django.contrib.auth.models import Group, Permission

from .models import CAPABILITIES

ALL = set(CAPABILITIES)
READ = {"view_documents", "view_stock_reports", "view_books", "view_price", "view_cost", "export"}
ROLES = {
    "系统管理员": ALL,
    "采购": {"view_documents", "doc_purchase", "order_purchase", "view_stock_reports", "view_price", "view_cost", "manage_master", "export"},
    "销售": {"view_documents", "doc_sales", "order_sales", "view_stock_reports", "view_price", "export"},
    "仓库": {"view_documents", "doc_stock", "quality_check", "view_stock_reports", "reconcile"},
    "财务": {"view_documents", "doc_invoice", "doc_cash", "view_stock_reports", "view_books", "voucher_make", "period_close",
           "view_price", "view_cost", "export", "reconcile"},
    "财务主管": {"view_documents", "doc_invoice", "doc_cash", "view_stock_reports", "view_books", "voucher_make", "voucher_audit",
             "period_close", "period_reopen", "manage_accounts", "manage_master", "view_price", "view_cost", "approve", "export",
             "reconcile", "certify", "manage_recon_rules"},
    "区域经理": {"view_documents", "view_stock_reports", "view_price", "view_cost", "approve", "export", "reconcile"},
    "管理层": READ | {"approve"},
    "审计": READ,
}
# document type → the capability that posts it (types not listed: master data, by manage_master)
DOC_CAPABILITY = {
    "purchase_receipt": "doc_purchase", "purchase_return": "doc_purchase",
    "sales_delivery": "doc_sales", "sales_return": "doc_sales",
    "purchase_invoice": "doc_invoice", "sales_invoice": "doc_invoice",
    "purchase_red_invoice": "doc_invoice", "sales_red_invoice": "doc_invoice",
    "transfer": "doc_stock", "stock_count": "doc_stock", "scrap": "doc_stock", "opening_stock": "doc_stock",
    "customer_receipt": "doc_cash", "supplier_payment": "doc_cash", "count_settlement": "doc_cash",
    "advance_application": "doc_cash",
    "journal": "voucher_make", "opening_balance": "voucher_make", "period_close": "period_close",
    "company": "manage_accounts", "account": "manage_accounts",
}


def _perms(codes) -> list[Permission]:
    return list(Permission.objects.filter(content_type__app_label="access", codename__in=codes))


def ensure_roles() -> list[Group]:
    out = []
    for name, caps in ROLES.items():
        g, created = Group.objects.get_or_create(name=name)
        if created or not g.permissions.exists():
            g.permissions.add(*_perms(caps))
        out.append(g)
    # the audit trail's own view permission goes with the 审计 and 系统管理员 roles
    audit_view = Permission.objects.filter(content_type__app_label="audit", codename="view_auditentry").first()
    if audit_view is not None:
        for g in out:
            if g.name in ("审计", "系统管理员") and not g.permissions.filter(pk=audit_view.pk).exists():
                g.permissions.add(audit_view)
    return out


def reset_role(group: Group):
    caps = ROLES.get(group.name)
    if caps is None:
        return
    keep = [p for p in group.permissions.all() if p.content_type.app_label != "access"]
    group.permissions.set(keep + _perms(caps))


def ensure_roles_after_migrate(sender, **kwargs):
    from django.contrib.auth.management import create_permissions

    create_permissions(sender, verbosity=0, using=kwargs.get("using", "default"))
    ensure_roles()
