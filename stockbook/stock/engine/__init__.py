"""The costing engine: pure functions over plain data (no ORM), one module per method.

``book_for(method, state)`` gives the item book; ``book.apply(event)`` returns an Outcome with the
results of the document lines the event settles and the stock moves it makes.
"""
from .base import (CLOSE, COUNT, DELIV, MOVE_CODES, OPEN, PINV, PRED, PRET, RECEIPT, RED_KINDS, SCRAP, SINV, SRED, SRET, XFER,  # noqa: F401
                   Event,
                   ItemBook, LineStore, Move, Outcome, lkey)
from .errors import CostError  # noqa: F401
from .fifo import FifoBook
from .monthly import MonthlyBook
from .moving import MovingBook

BOOKS = {"fifo": FifoBook, "moving_average": MovingBook, "monthly_average": MonthlyBook}


def book_for(method: str, state: dict | None = None, loaders: dict | None = None) -> ItemBook:
    return BOOKS[method](state, loaders)
