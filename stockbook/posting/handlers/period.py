"""Period close (期末结账, contract 3.4) and reopen.

Periods close one at a time from the start period. Closing locks the month: documents dated in it are
rejected with ``period_closed``. Reopening is a separate, explicit action (``reopen_period``), allowed
only for the latest closed month.
"""
from django.utils import timezone

from stockbook.core.errors import DocError
from stockbook.ledger.models import Period

from stockbook.stock.events import month_end

from ..fields import get, parse_period, period_str


def next_open_period(books) -> int:
    last = books.last_closed()
    if last is None:
        return books.company.start_period
    y, m = divmod(last, 100)
    return y * 100 + m + 1 if m < 12 else (y + 1) * 100 + 1


def period_close(ctx):
    books = ctx.books
    p = parse_period(get(ctx.obj, "period"), "period")
    if p < books.company.start_period or p in books.closed_periods:
        raise DocError("period_closed", f"期间 {period_str(p)} 已结账或早于启用期间", field="period")
    expected = next_open_period(books)
    if p != expected:
        raise DocError("invalid_value", f"必须按顺序结账：下一个应结账的期间是 {period_str(expected)}", field="period")

    def write(doc):
        Period.objects.update_or_create(
            period=p,
            defaults={"status": Period.CLOSED, "closed_at": timezone.now(), "closed_by": doc.created_by, "close_document": doc},
        )
        books.closed_periods.add(p)
        from .. import effects

        return effects.apply(doc, [], books, ctx.user, period=p)

    return write


def reopen_period(period: str, user=None, reason: str = "") -> Period:
    """反结账: reopen the latest closed month. Its close document is voided: its voucher is reversed in
    red ink (dated the month end), monthly-average issue costs of the month become pending again, and
    every item is re-costed from the snapshot before the month."""
    from django.db import transaction

    from stockbook.stock.models import MonthlyClose, Snapshot
    from stockbook.stock.service import Costing

    from .. import effects
    from ..books import Books
    from ..models import Document
    from ..sync import resync

    books = Books()
    p = parse_period(period, "period")
    last = books.last_closed()
    if last is None or p != last:
        raise DocError("invalid_value", f"只能反结账最近一个已结账期间{'（' + period_str(last) + '）' if last else ''}", field="period")
    with transaction.atomic():
        row = Period.objects.select_for_update().get(period=p)
        close = row.close_document
        row.status, row.closed_at, row.closed_by, row.close_document = Period.OPEN, None, None, None
        row.save()
        if close is not None:
            Document.objects.filter(pk=close.pk).update(status=Document.VOID)
            Snapshot.objects.filter(period__gte=p).delete()
            MonthlyClose.objects.filter(period=p).delete()
            costing = Costing(close, user)
            costing.replay_all()
            resync(close, [], when=month_end(p), user=user, memo=f"反结账 {period_str(p)}：冲销结账凭证")
            from .. import grni

            grni.undo_close(close, user)  # 月初回冲: the month-end estimate and next month's reversal
            effects.correct(costing, close, books.accounts, user, books.company.costing_method, grni.is_reversal(books.company))
        from stockbook.audit import record

        record("reopen", row, user=user, object_repr=f"会计期间 {period_str(p)}", before={"status": Period.CLOSED},
               after={"status": Period.OPEN, "close_document": close.ref if close else None}, remark=reason)
    return row
