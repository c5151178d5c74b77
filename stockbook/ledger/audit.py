"""审核 / 反审核 of vouchers: a separate right from making them (voucher_audit vs voucher_make), never by
the voucher's maker (segregation of duties) unless the company runs as one person (the one switch
approvals use too: ``STOCKBOOK_ALLOW_SELF_APPROVAL`` or the company setting 允许制单人审批), never in a
closed month. Every change goes to the audit trail."""
from django.db import transaction
from django.utils import timezone

from stockbook.core.errors import DocError

from .models import Period, Voucher


def self_approval_allowed() -> bool:
    from stockbook.approvals.conf import allow_self_approval

    return allow_self_approval()


def _locked(voucher_id: int) -> Voucher:
    v = Voucher.objects.select_for_update().filter(pk=voucher_id).first()
    if v is None:
        raise DocError("unknown_reference", f"凭证 {voucher_id} 不存在")
    if Period.objects.filter(period=v.period, status=Period.CLOSED).exists():
        raise DocError("period_closed", f"凭证 {v.display_number} 所在期间已结账，不能审核或反审核")
    return v


def audit_voucher(voucher_id: int, user) -> Voucher:
    from stockbook.access.policy import require

    require(user, "voucher_audit")
    with transaction.atomic():
        v = _locked(voucher_id)
        if v.audited_by_id:
            raise DocError("invalid_value", f"凭证 {v.display_number} 已由 {v.audited_by} 审核")
        if v.created_by_id == user.pk and not self_approval_allowed():
            raise DocError("segregation_of_duties", f"凭证 {v.display_number} 由您制单，须由他人审核")
        v.audited_by, v.audited_at = user, timezone.now()
        v.save(update_fields=["audited_by", "audited_at"])
        _record("audit", v, user, {"audited_by": None}, {"audited_by": user.get_username()})
    return v


def unaudit_voucher(voucher_id: int, user, reason: str = "") -> Voucher:
    """反审核: only the auditor or a holder of voucher_audit, with a reason."""
    from stockbook.access.policy import require

    require(user, "voucher_audit")
    if not (reason or "").strip():
        raise DocError("invalid_value", "反审核必须填写原因", field="reason")
    with transaction.atomic():
        v = _locked(voucher_id)
        if not v.audited_by_id:
            raise DocError("invalid_value", f"凭证 {v.display_number} 尚未审核")
        before = v.audited_by.get_username()
        v.audited_by, v.audited_at = None, None
        v.save(update_fields=["audited_by", "audited_at"])
        _record("unaudit", v, user, {"audited_by": before}, {"audited_by": None}, reason)
    return v


def _record(action, v, user, before, after, remark=""):
    try:
        from stockbook.audit import record
    except ImportError:  # pragma: no cover - the audit app is always installed
        return
    record(action, v, user=user, before=before, after=after, remark=remark)
