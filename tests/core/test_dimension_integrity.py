"""Voucher-line dimensions (客户, 供应商, 存货, 仓库, 部门, 单据) carry no database constraint (ledger/models.py):
Django still refuses to delete a record a voucher line names, and ``stockbook check`` reports a line whose
dimension names no record."""
import pytest
from django.db import connection
from django.db.models import ProtectedError

from stockbook.ledger.models import VoucherLine
from stockbook.masterdata.models import Customer, Item, Warehouse
from stockbook.posting.integrity import check
from tests.stock.helpers import delivery, receipt, setup_company


@pytest.fixture
def posted(post_json):
    setup_company(post_json)
    post_json(receipt("R1", "2026-01-05", "WH1", [("B002", "10", "5.00")]))
    post_json(delivery("D1", "2026-01-06", "WH1", [("B002", "4", "9.00")]))


def test_a_named_record_cannot_be_deleted(posted):
    assert VoucherLine.objects.filter(customer__code="C01").exists()
    for model, code in ((Customer, "C01"), (Item, "B002"), (Warehouse, "WH1")):
        with pytest.raises(ProtectedError):
            model.objects.get(code=code).delete()
    assert Customer.objects.filter(code="C01").exists()


def test_check_reports_a_dimension_that_names_no_record(posted):
    assert check(recost=False) == []
    line = VoucherLine.objects.filter(customer__code="C01").first()
    table = VoucherLine._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET customer_id = %s, warehouse_id = %s WHERE id = %s", [987654, 876543, line.pk])
        cur.execute(f"UPDATE {table} SET document_id = %s WHERE id <> %s", [765432, line.pk])
    problems = check(recost=False)
    assert "有 1 条凭证分录的客户不存在" in problems
    assert "有 1 条凭证分录的仓库不存在" in problems
    n = VoucherLine.objects.exclude(pk=line.pk).count()
    assert f"有 {n} 条凭证分录的单据不存在" in problems
    assert not any("供应商不存在" in p or "存货不存在" in p or "部门不存在" in p for p in problems)
