"""Questions every page, API endpoint and export asks: may this user do X, which warehouses may they
see, may they see money. One place, so that pages, API, exports and totals cannot disagree.

``user=None`` is the operator at the command line (``stockbook`` CLI): everything is allowed."""
from django.utils.translation import gettext as _

from stockbook.core.errors import DocError

from .models import CAPABILITIES
from .roles import DOC_CAPABILITY


def can(user, cap: str) -> bool:
    if user is None:
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.has_perm(f"access.{cap}")


def require(user, cap: str):
    if not can(user, cap):
        raise DocError("not_allowed", _("You do not have the right: %(right)s") % {"right": CAPABILITIES[cap]})


def doc_capability(doc_type: str) -> str:
    return DOC_CAPABILITY.get(doc_type, "manage_master")


def can_post(user, doc_type: str) -> bool:
    return can(user, doc_capability(doc_type))


def sees_price(user) -> bool:
    return can(user, "view_price")


def sees_cost(user) -> bool:
    return can(user, "view_cost")


def warehouse_ids(user) -> set[int] | None:
    """The warehouses the user may see: None = all (no scope, superuser, CLI)."""
    if user is None or getattr(user, "is_superuser", False):
        return None
    cached = getattr(user, "_sb_warehouses", False)
    if cached is not False:
        return cached
    from stockbook.masterdata.models import Warehouse

    from .models import Scope

    out = None
    scope = Scope.objects.filter(user_id=user.pk).first() if getattr(user, "pk", None) else None
    if scope is not None:
        regions = list(scope.regions.values_list("pk", flat=True))
        whs = set(scope.warehouses.values_list("pk", flat=True))
        if regions or whs:
            out = whs | set(Warehouse.objects.filter(region_id__in=regions).values_list("pk", flat=True))
    user._sb_warehouses = out
    return out


def visible_warehouses(user, qs=None):
    """``qs`` (default: all warehouses, by code) narrowed to the user's scope."""
    from stockbook.masterdata.models import Warehouse

    qs = Warehouse.objects.order_by("code") if qs is None else qs
    ids = warehouse_ids(user)
    return qs if ids is None else qs.filter(pk__in=ids)


def can_read_books(user) -> bool:
    """The books (ledger, vouchers, trial balance, reconcile) are whole-company money: view_books and
    view_cost, and no warehouse scope."""
    return can(user, "view_books") and can(user, "view_cost") and not scoped(user)


def require_books(user):
    require(user, "view_books")
    require(user, "view_cost")
    if scoped(user):
        raise DocError("not_allowed", _("The books cover every warehouse; your data scope is limited to some warehouses."))


def scoped(user) -> bool:
    return warehouse_ids(user) is not None


def warehouse_codes(user) -> set[str] | None:
    ids = warehouse_ids(user)
    if ids is None:
        return None
    from stockbook.masterdata.models import Warehouse

    return set(Warehouse.objects.filter(pk__in=ids).values_list("code", flat=True))


def check_warehouse(user, warehouse_id, field="warehouse", line=None):
    ids = warehouse_ids(user)
    if ids is not None and warehouse_id is not None and warehouse_id not in ids:
        raise DocError("not_allowed", _("This warehouse is outside your data scope."), field=field, line=line)


def filter_documents(user, qs):
    """Documents the user may see by warehouse (their scope); the capability to see documents at all is
    checked by the page or endpoint."""
    from django.db.models import Q

    ids = warehouse_ids(user)
    if ids is not None:
        qs = qs.filter(Q(warehouse_id__in=ids) | Q(lines__warehouse_id__in=ids) | Q(lines__to_warehouse_id__in=ids)).distinct()
    return qs


def can_see_document(user, doc) -> bool:
    if not can(user, "view_documents"):
        return False
    ids = warehouse_ids(user)
    if ids is None:
        return True
    if doc.warehouse_id in ids:
        return True
    return doc.lines.filter(warehouse_id__in=ids).exists() or doc.lines.filter(to_warehouse_id__in=ids).exists()
