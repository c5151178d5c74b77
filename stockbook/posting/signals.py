"""``books_changed``: sent after the commit of every posting or void that changed the books, with the
document and the earliest date whose figures it changed (the document's date: re-costing only changes
later moves). Receivers must be cheap — an import sends it once per document."""
from django.dispatch import Signal

books_changed = Signal()  # kwargs: document, date


def announce(document, when):
    from django.db import transaction

    if when is None or not books_changed.receivers:
        return
    transaction.on_commit(lambda: books_changed.send(sender=type(document), document=document, date=when))
