"""消息中心 (every logged-in user, their own messages only) and the channel settings (staff only for now)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from stockbook.masterdata.models import Company

from . import service
from .events import event_label
from .forms import ChannelForm, PreferenceForm
from .models import Channel, Delivery, Notification, Preference


def staff_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _back(request, default="notify:inbox"):
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}, require_https=request.is_secure()):
        return redirect(nxt)
    return redirect(default)


# -- 消息中心 ------------------------------------------------------------------------------------------

@login_required
@require_GET
def inbox(request):
    show = "unread" if request.GET.get("show") == "unread" else "all"
    qs = Notification.objects.filter(user=request.user)
    if show == "unread":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs.order_by("-created_at", "-id"), 20).get_page(request.GET.get("page"))
    for n in page:
        n.event_label = event_label(n.event)
    pref = Preference.objects.filter(user=request.user).first()
    return render(request, "notify/inbox.html", {
        "page": page, "show": show, "unread": service.unread_count(request.user),
        "pref_form": PreferenceForm(initial={"email": pref.email if pref else True}),
        "email_on": service.email_enabled(),
    })


@login_required
@require_GET
def open_notification(request, pk):
    """Mark read and follow the notification's link (only site paths and http(s) links are ever stored)."""
    n = get_object_or_404(Notification, pk=pk, user=request.user)
    service.mark_read(request.user, [n.pk])
    link = n.link
    if link and (link.startswith(("http://", "https://"))
                 or url_has_allowed_host_and_scheme(link, {request.get_host()}, require_https=request.is_secure())):
        return redirect(link)
    return redirect("notify:inbox")


@login_required
@require_POST
def mark_read(request, pk):
    n = get_object_or_404(Notification, pk=pk, user=request.user)
    service.mark_read(request.user, [n.pk])
    if _wants_json(request):
        return JsonResponse({"ok": True, "unread": service.unread_count(request.user)})
    return _back(request)


@login_required
@require_POST
def mark_all_read(request):
    n = service.mark_read(request.user)
    if _wants_json(request):
        return JsonResponse({"ok": True, "marked": n, "unread": 0})
    messages.success(request, _("All notifications marked as read."))
    return _back(request)


@require_GET
def unread_count(request):
    """JSON for the badge (and phones): {"unread": n}. 401 JSON rather than a login page when logged out."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "not_authenticated", "message": _("Please log in.")}, status=401)
    return JsonResponse({"unread": service.unread_count(request.user)})


@login_required
@require_POST
def preferences(request):
    form = PreferenceForm(request.POST)
    if form.is_valid():
        Preference.objects.update_or_create(user=request.user, defaults={"email": form.cleaned_data["email"]})
        messages.success(request, _("Notification settings saved."))
    return redirect("notify:inbox")


# -- channels (staff) --------------------------------------------------------------------------------

def _company_or_redirect(request):
    company = Company.current()
    if company is None:
        messages.error(request, _("Create the company first."))
    return company


@staff_required
@require_GET
def channel_list(request):
    company = Company.current()
    channels = list(Channel.objects.filter(company=company)) if company else []
    for ch in channels:
        ch.event_labels = [event_label(e) for e in ch.events]
    recent = Delivery.objects.exclude(kind="email").select_related("channel").order_by("-created_at", "-id")[:30]
    failed_email = Delivery.objects.filter(kind="email", status=Delivery.FAILED).count()
    return render(request, "notify/channels.html", {
        "company": company, "channels": channels, "recent": recent, "failed_email": failed_email,
    })


def _channel_fields(ch) -> dict:
    """What the audit trail keeps of a robot channel: everything but the secret (only whether one is set)."""
    return {"name": ch.name, "kind": ch.kind, "url": ch.url, "sign": ch.sign, "secret_set": bool(ch.secret),
            "enabled": ch.enabled, "events": list(ch.events or [])}


@staff_required
def channel_edit(request, pk=None):
    company = _company_or_redirect(request)
    if company is None:
        return redirect("web:company")
    channel = get_object_or_404(Channel, pk=pk, company=company) if pk else Channel(company=company)
    before = _channel_fields(channel) if pk else None
    form = ChannelForm(request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        from django.db import transaction

        from stockbook.audit import record

        with transaction.atomic():
            form.save()
            record("update" if pk else "create", form.instance, user=request.user, request=request, before=before,
                   after=_channel_fields(form.instance))
        messages.success(request, _("Channel “%(name)s” saved.") % {"name": form.instance.name})
        return redirect("notify:channels")
    return render(request, "notify/channel_form.html", {"form": form, "channel": channel})


@staff_required
@require_POST
def channel_delete(request, pk):
    channel = get_object_or_404(Channel, pk=pk, company=Company.current())
    name = channel.name
    from django.db import transaction

    from stockbook.audit import record

    with transaction.atomic():
        record("delete", channel, user=request.user, request=request, before=_channel_fields(channel))
        channel.delete()
    messages.success(request, _("Channel “%(name)s” deleted.") % {"name": name})
    return redirect("notify:channels")


@staff_required
@require_POST
def channel_test(request, pk):
    channel = get_object_or_404(Channel, pk=pk, company=Company.current())
    d = service.send_test(channel, request.user)
    if d.status == Delivery.SENT:
        messages.success(request, _("Test message sent to “%(name)s”.") % {"name": channel.name})
    else:
        messages.error(request, _("Test message to “%(name)s” failed: %(error)s")
                       % {"name": channel.name, "error": d.last_error})
    return redirect("notify:channels")


@staff_required
@require_POST
def delivery_retry(request, pk):
    d = get_object_or_404(Delivery, pk=pk, status=Delivery.FAILED)
    service.retry_now(d)
    service.deliver([d.pk])
    d.refresh_from_db()
    if d.status == Delivery.SENT:
        messages.success(request, _("Sent."))
    else:
        messages.error(request, _("Still failing: %(error)s") % {"error": d.last_error})
    return redirect("notify:channels")
