"""Re-costing every item from scratch (全部重算), to prove that what is stored is what the facts give.

``recompute()`` replays every item's events from the opening, closes included, with the pure engine, and
compares the line results, move values and item states with the stored ones. It writes nothing; the
returned list of differences is empty when the books are consistent.
"""

from . import engine as E
from .models import ItemState, OpenLine, StockMove, StockPeriod
from .service import closed_period_events, load_events, open_line_rows


def recompute(item_ids=None) -> list[str]:
    diffs: list[str] = []
    states = ItemState.objects.all()
    if item_ids is not None:
        states = states.filter(item_id__in=item_ids)
    closes = closed_period_events()
    for st in states.iterator():
        diffs += recompute_item(st, closes)
    return diffs


def recompute_item(st: ItemState, closes=None) -> list[str]:
    events, stored_results = load_events(st.item_id, with_closes=True, closes=closes)
    book = E.book_for(st.method)
    if any(e.kind in E.RED_KINDS for e in events):
        book.track_red()
    results, moves = {}, {}
    for ev in events:
        out = book.apply(ev)
        for key, res in out.results.items():
            if ev.kind == E.CLOSE and key == (ev.doc, 0):
                continue
            results.setdefault(key, {}).update(res)
        for m in out.moves:
            moves[(m.doc, m.line, m.sub)] = (m.wh, m.code, m.qty, m.value)
    diffs = []
    for key, res in results.items():
        stored = stored_results[key].result if key in stored_results else None
        if stored != res:
            diffs.append(f"item {st.item_id} line {key}: stored {stored} recomputed {res}")
    stored_moves, periods = {}, {}
    for doc, line, sub, wh, code, qty, value, day, status in StockMove.objects.filter(item_id=st.item_id).values_list(
            "document_id", "line", "sub", "warehouse_id", "code", "qty", "value", "date", "document__status").iterator(chunk_size=5000):
        if status != "void":  # a voided document's moves and their red-ink counter-moves net to zero
            stored_moves[(doc, line, sub)] = (wh, code, qty, value)
        t = periods.setdefault((wh, day.year * 100 + day.month), [0, 0])
        t[0] += qty
        t[1] += value or 0
    for key in sorted(set(moves) | set(stored_moves)):
        if moves.get(key) != stored_moves.get(key):
            diffs.append(f"item {st.item_id} move {key}: stored {stored_moves.get(key)} recomputed {moves.get(key)}")
    periods = {k: v for k, v in periods.items() if v != [0, 0]}
    stored_periods = {(w, p): [q, v] for w, p, q, v in StockPeriod.objects.filter(item_id=st.item_id)
                      .values_list("warehouse_id", "period", "qty", "value") if q or v}
    if periods != stored_periods:
        diffs.append(f"item {st.item_id}: StockPeriod {stored_periods} differs from the moves' sums {periods}")
    if book.dump() != E.book_for(st.method, st.state).dump():
        diffs.append(f"item {st.item_id}: stored state differs from the recomputed one")
    stored_lines = {(kind, key): data for kind, key, data in OpenLine.objects.filter(item_id=st.item_id)
                    .values_list("kind", "line_key", "data")}
    want = open_line_rows(book)
    if stored_lines != want:
        bad = sorted(k for k in set(stored_lines) | set(want) if stored_lines.get(k) != want.get(k))[:5]
        diffs.append(f"item {st.item_id}: stored open lines differ from the recomputed ones: {bad}")
    return diffs

