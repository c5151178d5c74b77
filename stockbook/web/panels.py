"""Panels other apps add to the document page (web/document.html): the purchase order a receipt fills,
the batches a delivery took, the sales order behind it…

``register(fn)``: ``fn(doc, user) -> Panel | None`` — called for every document page; return None when the
app has nothing to say about this document (keep it to one query). Cells are text or ``(text, url)``.
"""
from dataclasses import dataclass, field

_PANELS: list = []


@dataclass
class Panel:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)  # cells: str | (str, url)
    note: str = ""


def register(fn):
    _PANELS.append(fn)
    return fn


def panels_for(doc, user) -> list[Panel]:
    out = []
    for fn in _PANELS:
        p = fn(doc, user)
        if p is not None and p.rows:
            p.rows = [[c if isinstance(c, tuple) else (c, None) for c in row] for row in p.rows]
            out.append(p)
    return out
