"""What is recorded without its code calling ``record()``: logins, permission changes, and create / update /
delete of master data, accounts, periods, users, groups and API tokens (with before/after values of the
fields that changed). Handlers are connected per model, so saving anything else costs nothing; an update
costs one extra SELECT (the row before the change) and an update that changes nothing audited records
nothing. ``update()`` on a queryset and ``bulk_create`` send no signals: code that uses them for an audited
change calls ``record()`` itself."""
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField

# fields that are noise (timestamps) or secrets; "password" is reported as changed without values
SKIP_FIELDS = {"created_at", "updated_at", "last_login", "last_used", "key_hash"}
HIDDEN = "******"

_state = {"enabled": True}


def _norm(field, value):
    if value is None:
        return None
    if isinstance(field, DecimalField):
        try:
            return str(Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places)))
        except Exception:
            return str(value)
    try:
        value = field.to_python(value)
    except Exception:
        pass
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _fields(model):
    return [f for f in model._meta.concrete_fields if not f.primary_key and f.name not in SKIP_FIELDS]


def snapshot(instance) -> dict:
    out = {}
    for f in _fields(type(instance)):
        if f.name == "password":
            out["password"] = HIDDEN
            continue
        out[f.name] = _norm(f, getattr(instance, f.attname))
    return out


def _from_row(model, row: dict) -> dict:
    out = {}
    for f in _fields(model):
        if f.attname in row:
            out[f.name] = HIDDEN if f.name == "password" else _norm(f, row[f.attname])
    return out


def _only_skipped(update_fields) -> bool:
    return update_fields is not None and set(update_fields) <= SKIP_FIELDS


def _action(instance, created: bool, before: dict, after: dict, changed: set) -> str:
    label = instance._meta.label_lower
    if label == "ledger.period":
        closed = after.get("status") == "closed"
        if created:
            return "close" if closed else "create"
        if "status" in changed:
            return "close" if closed else "reopen"
        return "update"
    if created:
        return "create"
    if label == "masterdata.company":
        return "setting_change"
    if label == "auth.user" and changed & {"is_superuser", "is_staff"}:
        return "permission_change"
    return "update"


def pre_save(sender, instance, raw=False, update_fields=None, **kw):
    if raw or not _state["enabled"] or instance._state.adding or instance.pk is None or _only_skipped(update_fields):
        return
    cols = [f.attname for f in _fields(sender)]
    row = sender._base_manager.using(instance._state.db or "default").filter(pk=instance.pk).values(*cols).first()
    instance.__dict__["_audit_before"] = row


def post_save(sender, instance, created, raw=False, update_fields=None, **kw):
    if raw or not _state["enabled"] or _only_skipped(update_fields):
        return
    from .chain import record

    if created:
        if sender._meta.label_lower == "ledger.account" and getattr(instance, "builtin", False):
            return  # the chart of a new company: its ``post`` entry covers it
        after = snapshot(instance)
        record(_action(instance, True, {}, after, set()), instance, after=after)
        return
    row = instance.__dict__.pop("_audit_before", None)
    after = snapshot(instance)
    if row is None:  # the row was not there before (or was saved without the pre_save hook)
        record("update", instance, after=after)
        return
    before = _from_row(sender, row)
    if "password" in row and row["password"] != getattr(instance, "password", None):
        after["password"] = HIDDEN + " (changed)"
    changed = {k for k in after if before.get(k) != after[k]}
    if not changed:
        return
    action = _action(instance, False, before, after, changed)
    if action == "reopen":  # reopen_period() records it itself, with the reason
        return
    record(action, instance,
           before={k: before.get(k) for k in sorted(changed)}, after={k: after[k] for k in sorted(changed)})


def post_delete(sender, instance, **kw):
    if not _state["enabled"]:
        return
    from .chain import record

    record("delete", instance, before=snapshot(instance))


# -- permissions (many-to-many) ------------------------------------------------------------------------------
def _labels(qs) -> list[str]:
    from django.contrib.auth.models import Group, Permission

    if qs.model is Permission:
        return sorted(f"{a}.{c}" for a, c in qs.values_list("content_type__app_label", "codename"))
    if qs.model is Group:
        return sorted(qs.values_list("name", flat=True))
    return sorted(qs.values_list("username", flat=True))


def m2m_changed(sender, instance, action, reverse, **kw):
    if not _state["enabled"]:
        return
    attr = _M2M[sender][1 if reverse else 0]
    if action in ("pre_add", "pre_remove", "pre_clear"):
        instance.__dict__["_audit_m2m"] = _labels(getattr(instance, attr).all())
    elif action in ("post_add", "post_remove", "post_clear"):
        before = instance.__dict__.pop("_audit_m2m", None)
        after = _labels(getattr(instance, attr).all())
        if before == after:
            return
        from .chain import record

        record("permission_change", instance, before={attr: before}, after={attr: after})


_M2M: dict = {}


# -- logins ----------------------------------------------------------------------------------------------------
def logged_in(sender, request, user, **kw):
    from .chain import record

    record("login", user, user=user, request=request)


def logged_out(sender, request, user, **kw):
    from .chain import record

    if user is not None:
        record("logout", user, user=user, request=request)


def login_failed(sender, credentials, request=None, **kw):
    from .chain import record

    name = str((credentials or {}).get("username") or "")[:150]
    record("login_failed", user=None, request=request, username=name, object_type="auth.user", object_repr=name)


def locked_out(sender, request=None, username=None, ip_address=None, **kw):
    from .chain import record

    name = str(username or "")[:150]
    record("login_locked", user=None, request=request, username=name, object_type="auth.user", object_repr=name)


# -- switching on and off ----------------------------------------------------------------------------------------
def _pre_migrate(**kw):
    _state["enabled"] = False


def _post_migrate(using="default", **kw):
    from django.db import connections

    from .models import AuditEntry

    try:
        _state["enabled"] = AuditEntry._meta.db_table in connections[using].introspection.table_names()
    except Exception:
        _state["enabled"] = False


def audited_models():
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    models = list(apps.get_app_config("masterdata").get_models())
    models += [apps.get_model("ledger", "Account"), apps.get_model("ledger", "Period"), get_user_model(), Group,
               apps.get_model("users", "ApiToken")]
    return models


def connect():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
    from django.db.backends.signals import connection_created
    from django.db.models import signals as s

    from . import guards

    connection_created.connect(guards.on_connection_created, dispatch_uid="stockbook-audit-sqlite-guard")
    if connection.connection is not None:  # a connection opened before the app was ready
        guards.on_connection_created(None, connection)
    s.pre_migrate.connect(_pre_migrate, dispatch_uid="stockbook-audit-pre-migrate")
    s.post_migrate.connect(_post_migrate, dispatch_uid="stockbook-audit-post-migrate")
    for m in audited_models():
        uid = f"stockbook-audit-{m._meta.label_lower}"
        s.pre_save.connect(pre_save, sender=m, dispatch_uid=uid + "-pre")
        s.post_save.connect(post_save, sender=m, dispatch_uid=uid + "-post")
        s.post_delete.connect(post_delete, sender=m, dispatch_uid=uid + "-del")
    User = get_user_model()
    _M2M.update({
        User.groups.through: ("groups", "user_set"),
        User.user_permissions.through: ("user_permissions", "user_set"),
        Group.permissions.through: ("permissions", "group_set"),
    })
    for through in _M2M:
        s.m2m_changed.connect(m2m_changed, sender=through, dispatch_uid=f"stockbook-audit-m2m-{through._meta.label_lower}")
    user_logged_in.connect(logged_in, dispatch_uid="stockbook-audit-login")
    user_logged_out.connect(logged_out, dispatch_uid="stockbook-audit-logout")
    user_login_failed.connect(login_failed, dispatch_uid="stockbook-audit-login-failed")
    try:
        from axes.signals import user_locked_out

        user_locked_out.connect(locked_out, dispatch_uid="stockbook-audit-locked-out")
    except ImportError:  # pragma: no cover
        pass
