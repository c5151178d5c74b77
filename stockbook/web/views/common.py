"""Helpers shared by the web views: paging, dates and periods from the query string, DocError → form."""
from datetime import date, timedelta

from django.core.paginator import Paginator

from stockbook.core.errors import DocError
from stockbook.posting.fields import period_of, period_str  # noqa: F401

PAGE_SIZE = 50


def paginate(request, qs, size=PAGE_SIZE):
    return Paginator(qs, size).get_page(request.GET.get("page"))


def parse_day(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def parse_month(value) -> int | None:
    """'YYYY-MM' → YYYYMM, or None."""
    if not value or len(value) != 7 or value[4] != "-":
        return None
    try:
        y, m = int(value[:4]), int(value[5:])
    except ValueError:
        return None
    return y * 100 + m if 1 <= m <= 12 else None


def month_range(p: int) -> tuple[date, date]:
    y, m = divmod(p, 100)
    first = date(y, m, 1)
    nxt = date(y + (m == 12), 1 if m == 12 else m + 1, 1)
    return first, nxt - timedelta(days=1)


def next_month(p: int) -> int:
    y, m = divmod(p, 100)
    return (y + 1) * 100 + 1 if m == 12 else p + 1


def current_open_period() -> int | None:
    """The first month that is not closed (from the company's start period), or None without a company."""
    from stockbook.posting.books import Books
    from stockbook.posting.handlers.period import next_open_period

    books = Books()
    if books.company is None:
        return None
    return next_open_period(books)


def default_range(request) -> tuple[date, date]:
    """from/to of the query string, else the current open month."""
    start, end = parse_day(request.GET.get("from")), parse_day(request.GET.get("to"))
    if start and end:
        return start, end
    p = current_open_period() or period_of(date.today())
    first, last = month_range(p)
    return start or first, end or last


def apply_doc_error(form, err: DocError, field_map=None):
    """Show a DocError on the form field it names (or on the whole form)."""
    name = (err.field or "").split(".")[0]
    name = (field_map or {}).get(name, name)
    if name and name in form.fields:
        form.add_error(name, err.message)
    else:
        form.add_error(None, err.message)


def clean_amount(text: str) -> str:
    """'1,234.50 ' → '1234.50' (what a person types → a contract number string)."""
    return (text or "").strip().replace(",", "").replace("，", "").replace(" ", "")
