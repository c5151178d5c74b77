"""The one gate in ``post()``: a person's document that an active workflow covers is not posted but
becomes a pending approval request.

Order: no active workflow for the type → post as usual (one indexed query). Else the document is
validated by a dry run — ``post()`` inside a transaction that is rolled back, so bad input gets its own
error code at once and nothing (document, voucher, number, stock) is written — and, if a workflow's amount
range covers it, an ApprovalRequest is made. A duplicate (identical content already posted) stays a
duplicate. The command line (no user) and the final approval (``approved=True``) never come here.
"""
import time

from django.db import OperationalError, connection, transaction

from .amount import document_amount
from .models import ApprovalRequest, Workflow

GATED_TYPES = {
    "purchase_receipt", "purchase_invoice", "purchase_return", "sales_delivery", "sales_invoice", "sales_return",
    "transfer", "stock_count", "count_settlement", "scrap", "customer_receipt", "supplier_payment", "journal",
    "opening_balance", "opening_stock", "purchase_red_invoice", "sales_red_invoice",
    "advance_application",
}


class _Rollback(Exception):
    def __init__(self, result):
        self.result = result


def gate(obj, *, books, user, source):
    """→ a PostResult ("pending", or the duplicate found by the dry run), or None: post as usual."""
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str) or obj["type"] not in GATED_TYPES:
        return None
    workflows = list(Workflow.objects.filter(doc_type=obj["type"], active=True).order_by("-priority", "id"))
    if not workflows:
        return None
    from .service import find_workflow

    amount = document_amount(obj)  # None for a malformed document: the dry run says what is wrong
    workflow = find_workflow(obj["type"], amount, workflows)
    if workflow is None:
        return None
    res = dry_run(obj, books=books, user=user, source=source)
    if res.status != "posted":
        return res
    from stockbook.posting.service import PostResult

    from .service import submit

    req = submit(workflow=workflow, doc_type=obj["type"], ref=obj.get("ref") if isinstance(obj.get("ref"), str) else "",
                 obj=obj, maker=user, amount=amount, source=source, kind=ApprovalRequest.KIND_DOCUMENT)
    return PostResult("pending", None, [], list(res.warnings), approval=req)


def dry_run(obj, *, books, user, source):
    """``post(obj)`` with everything it wrote rolled back; raises its DocError. → its PostResult."""
    from stockbook.posting.service import RETRIES, _retryable, post

    for attempt in range(RETRIES):
        try:
            with transaction.atomic():
                raise _Rollback(post(obj, books=books, user=user, source=source, approved=True))
        except _Rollback as r:
            books.clear()  # the cache may hold rows of the rolled-back transaction
            return r.result
        except OperationalError as e:
            books.clear()
            if attempt == RETRIES - 1 or not _retryable(e) or connection.in_atomic_block:
                raise
            time.sleep(0.05 * (attempt + 1))
