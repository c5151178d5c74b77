"""Three-way match view of a PO: per PO line, its receipts, QC, returns and invoices, with 匹配/不符; and the
purchase invoice built from a PO's receipts (what is accepted and not yet invoiced, at the PO price)."""
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from stockbook.core.money import fmt_qty

from .hooks import _money, invoiced_lines, po_price_in, price_matches
from .models import InspectionLine, PurchaseOrder, PurchaseSettings, ReceiptLink


def match_rows(po: PurchaseOrder) -> list[dict]:
    tol = PurchaseSettings.current().price_tolerance_pct
    out = []
    links = list(ReceiptLink.objects.filter(po_line__order=po).select_related("document", "po_line__item")
                 .order_by("po_line__line_no", "date", "id"))
    insp = {(il.inspection.receipt_id, il.line_no): il for il in
            InspectionLine.objects.filter(inspection__receipt_id__in={lk.document_id for lk in links}).select_related("inspection")}
    for pol in po.lines.select_related("item").order_by("line_no"):
        row = {"line": pol, "receipts": [], "ordered": pol.qty_base, "received": 0, "returned": 0, "invoiced": 0, "ok": True,
               "price": po_price_in(pol, pol.item, pol.item.uom)}
        for lk in [lk for lk in links if lk.po_line_id == pol.pk]:
            returned = lk.returns.aggregate(q=Sum("qty_base"))["q"] or 0
            inv_lines = invoiced_lines(lk.document_id, lk.line_no)
            invoiced = sum(q for _il, q in inv_lines)
            invs = []
            for il, q in inv_lines:
                ok = price_matches(po_price_in(pol, il.item, il.uom), Decimal(il.unit_price), tol)
                invs.append({"ref": il.document.ref, "doc_id": il.document_id, "qty": q, "price": il.unit_price, "ok": ok,
                             "red": il.qty_base - q})
                row["ok"] &= ok
            qc = insp.get((lk.document_id, lk.line_no))
            accepted = lk.qty_base - returned
            ok_qty = invoiced <= accepted
            row["ok"] &= ok_qty
            row["receipts"].append({"link": lk, "ref": lk.document.ref, "doc_id": lk.document_id, "date": lk.date,
                                    "qty": lk.qty_base, "returned": returned, "accepted": accepted, "invoiced": invoiced,
                                    "open_to_invoice": max(accepted - invoiced, 0), "qc": qc, "invoices": invs, "ok": ok_qty and all(i["ok"] for i in invs)})
            row["received"] += lk.qty_base
            row["returned"] += returned
            row["invoiced"] += invoiced
        row["accepted"] = row["received"] - row["returned"]
        out.append(row)
    return out


def match_json(po: PurchaseOrder, money=True) -> dict:
    rows = match_rows(po)
    return {"order": po.number, "status": po.status, "lines": [
        {"line": r["line"].line_no, "item": r["line"].item.code, "ordered": fmt_qty(r["ordered"]),
         "received": fmt_qty(r["received"]), "returned": fmt_qty(r["returned"]), "accepted": fmt_qty(r["accepted"]),
         "invoiced": fmt_qty(r["invoiced"]), "po_price": _money(r["price"]) if money else None,
         "match": "匹配" if r["ok"] else "不符",
         "receipts": [{"receipt": x["ref"], "line": x["link"].line_no, "date": x["date"].isoformat(), "qty": fmt_qty(x["qty"]),
                       "returned": fmt_qty(x["returned"]), "invoiced": fmt_qty(x["invoiced"]),
                       "qc": None if x["qc"] is None else {"accepted": fmt_qty(x["qc"].accepted), "rejected": fmt_qty(x["qc"].rejected),
                                                          "reason": x["qc"].reason},
                       "invoices": [{"invoice": i["ref"], "qty": fmt_qty(i["qty"]), "unit_price": i["price"] if money else None,
                                     "match": "匹配" if i["ok"] else "不符"} for i in x["invoices"]]}
                      for x in r["receipts"]]} for r in rows]}


def invoice_lines(po: PurchaseOrder) -> list[dict]:
    """Open-to-invoice receipt lines of ``po`` in base units at the PO price (the form's prefill)."""
    out = []
    for r in match_rows(po):
        for x in r["receipts"]:
            if x["open_to_invoice"] > 0:
                out.append({"receipt": x["ref"], "line": x["link"].line_no, "item": r["line"].item.code,
                            "qty": fmt_qty(x["open_to_invoice"]), "unit_price": _money(r["price"]),
                            "tax_rate": str(r["line"].tax_rate.normalize())})
    return out


def invoice_from(po: PurchaseOrder, lines: list[dict], *, ref: str, day: date) -> dict:
    return {"type": "purchase_invoice", "ref": ref, "date": day.isoformat(), "supplier": po.supplier.code,
            "lines": [{"receipt": ln["receipt"], "line": ln["line"], "qty": ln["qty"], "unit_price": ln["unit_price"],
                       **({"tax_rate": ln["tax_rate"]} if ln.get("tax_rate") not in (None, "") else {})} for ln in lines]}

