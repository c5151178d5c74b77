"""Page guards: ``requires("view_books")(view)`` = logged in + the capability, else a 403 page that
says which right is missing (in the user's language)."""
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from stockbook.core.errors import DocError

from .models import CAPABILITIES
from .policy import can


def forbidden(request, message: str):
    return render(request, "web/forbidden.html", {"message": message}, status=403)


def requires(*caps):
    def deco(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            for cap in caps:
                if not can(request.user, cap):
                    from django.utils.translation import gettext as _

                    return forbidden(request, _("You do not have the right: %(right)s") % {"right": CAPABILITIES[cap]})
            try:
                return view(request, *args, **kwargs)
            except DocError as e:
                if e.code == "not_allowed":
                    return forbidden(request, e.message)
                raise
        return login_required(wrapper)
    return deco
