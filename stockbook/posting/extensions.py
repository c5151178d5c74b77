"""Extension fields of documents (issue 7): what the business apps add to the contract's documents.

A contract document may carry fields the contract does not name — a receipt line's ``order``/``order_line``
(the purchase order it receives), ``batch``/``expiry`` (批次、有效期), a delivery's ``sales_order``, … The
posting core ignores them; the apps that own them register hooks here, and ``post()`` runs every hook
**inside the document's transaction, after its moves and voucher are written**: a hook checks its fields
against what is now in the books and writes its own rows (order links, batch moves), or raises
``DocError`` — then the whole document is rolled back, moves, voucher and voucher number included. So an
extension rule is as binding as a contract rule, on every path (web, REST, JSONL import, approvals), and
the checks of the contract keep their order (an extension's error comes after them, section 6 step 8).

``void_document`` runs the void hooks in its transaction, after the red-ink reversal: they undo what
their ``after_post`` hook wrote (or refuse the void with a DocError).

``credit_override(ctx, customer, total)`` lets an approved credit-limit override (sales orders) admit a
delivery the contract's credit check would refuse; with no provider registered, no override exists.
"""
from collections.abc import Callable

# (types or None for every type, fn(ctx, doc, vouchers) -> None)
_POST: list[tuple[frozenset | None, Callable]] = []
# (types or None, fn(doc, user) -> None)
_VOID: list[tuple[frozenset | None, Callable]] = []
_CREDIT: list[Callable] = []


def on_post(fn: Callable, types=None):
    """Register ``fn(ctx, doc, vouchers)`` for documents of ``types`` (all when None)."""
    _POST.append((frozenset(types) if types else None, fn))
    return fn


def on_void(fn: Callable, types=None):
    """Register ``fn(doc, user)``, run when a document of ``types`` is voided."""
    _VOID.append((frozenset(types) if types else None, fn))
    return fn


def credit_override_provider(fn: Callable):
    """Register ``fn(ctx, customer, total_fen) -> bool``: True admits the delivery over the credit limit."""
    _CREDIT.append(fn)
    return fn


def after_post(ctx, doc, vouchers):
    for types, fn in _POST:
        if types is None or doc.type in types:
            fn(ctx, doc, vouchers)


def after_void(doc, user):
    for types, fn in _VOID:
        if types is None or doc.type in types:
            fn(doc, user)


def credit_override(ctx, customer, total: int) -> bool:
    return any(fn(ctx, customer, total) for fn in _CREDIT)
