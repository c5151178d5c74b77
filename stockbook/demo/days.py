"""The demo's dates: its "today" (data.TODAY, fixed so the demo comes out the same on every run) and the day the
live flows of the app demos (purchasing, sales, batches) are dated."""
from datetime import date, timedelta

from . import data


def today() -> date:
    return date.fromisoformat(data.TODAY)


def live_day(books=None) -> date:
    """Today when it lies in the first open month, else the 5th of that month."""
    from stockbook.posting.books import Books
    from stockbook.posting.handlers.period import next_open_period

    p = next_open_period(books or Books())
    first = date(p // 100, p % 100, 1)
    t = today()
    return t if (t.year, t.month) == (first.year, first.month) else first + timedelta(days=4)
