"""ledger/posting.write_vouchers: a re-costing's vouchers written in batches — ids reserved up front
(``reserve_ids``), so that the rows can go behind the caller's work; numbered at once outside ``deferred()``,
when the block ends inside it (after the vouchers written before them in the block)."""
from datetime import date

import pytest
from django.db import transaction

from stockbook.ledger.models import Voucher
from stockbook.ledger.posting import VLine, VoucherSpec, deferred, reserve_ids, write_voucher, write_vouchers


def _lines(acc, amount):
    return [VLine(account_id=acc[0], debit=amount), VLine(account_id=acc[1], credit=amount)]


@pytest.fixture
def acc(company):
    from stockbook.ledger.models import Account

    return [Account.objects.get(code="1405").pk, Account.objects.get(code="5401").pk]


def test_reserved_ids_are_taken_by_no_later_row(acc):
    first = write_voucher(when=date(2026, 1, 3), lines=_lines(acc, 100))
    ids = reserve_ids(Voucher, 3)
    assert len(set(ids)) == 3 and min(ids) > first.pk and not Voucher.objects.filter(pk__in=ids).exists()
    later = write_voucher(when=date(2026, 1, 4), lines=_lines(acc, 100))
    assert later.pk not in ids and later.pk > max(ids)
    assert reserve_ids(Voucher, 0) == []


def test_outside_deferred_the_batch_is_numbered_at_once(acc):
    write_voucher(when=date(2026, 1, 2), lines=_lines(acc, 100))
    refs = write_vouchers([VoucherSpec(date(2026, 1, 5), _lines(acc, 7), None, "a"),
                           VoucherSpec(date(2026, 2, 5), _lines(acc, 8), None, "b"),
                           VoucherSpec(date(2026, 1, 6), _lines(acc, 9), None, "c")], kind=Voucher.RECOST)
    assert [r.display_number for r in refs] == ["记-2026-01-0002", "记-2026-02-0001", "记-2026-01-0003"]
    stored = {v.pk: (v.display_number, v.lines.count(), v.debit_total) for v in Voucher.objects.filter(pk__in=[r.pk for r in refs])}
    assert [stored[r.pk] for r in refs] == [("记-2026-01-0002", 2, 7), ("记-2026-02-0001", 2, 8), ("记-2026-01-0003", 2, 9)]


def test_inside_deferred_the_batch_is_numbered_when_the_block_ends_after_what_came_before(acc):
    with transaction.atomic(), deferred():
        own = write_voucher(when=date(2026, 1, 20), lines=_lines(acc, 100))
        ids = iter(reserve_ids(Voucher, 5))  # more than needed: a caller reserves one per date
        refs = write_vouchers([VoucherSpec(date(2026, 1, 5), _lines(acc, 7), None, "a"),
                               VoucherSpec(date(2026, 1, 6), _lines(acc, 9), None, "b")], kind=Voucher.RECOST, ids=ids)
        assert own.number == 0 and [r.number for r in refs] == [0, 0]
        assert Voucher.objects.filter(pk__in=[r.pk for r in refs], number=0).count() == 2
    assert [own.display_number, *(r.display_number for r in refs)] == ["记-2026-01-0001", "记-2026-01-0002", "记-2026-01-0003"]
    assert sorted(Voucher.objects.values_list("number", flat=True)) == [1, 2, 3]
    assert {v.pk: v.kind for v in Voucher.objects.all()} == {own.pk: Voucher.NORMAL, refs[0].pk: Voucher.RECOST, refs[1].pk: Voucher.RECOST}
