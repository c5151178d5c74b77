"""The audit trail: an append-only, hash-chained log of who changed what (issue 5, item 7).

``record()`` is the one public way in; it is cheap (three small statements) and writes inside the caller's
transaction, so a rolled-back change leaves no entry. See docs/audit.md.
"""


def record(action, obj=None, **kw):
    """Append one audit entry; see :func:`stockbook.audit.chain.record`."""
    from .chain import record as _record

    return _record(action, obj, **kw)


def posted(doc, vouchers=(), user=None):
    """The entry of a document that ``post()`` has just written (action ``post``)."""
    from .chain import posted as _posted

    return _posted(doc, vouchers, user)
