"""Page guards: ``requires("doc_sales")(view)`` = logged in + the capability, else a 403 page that says
which right is missing (in the user's language)."""
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from stockbook.core.errors import DocError

from .policy import require, require_books


def forbidden(request, message: str):
    return render(request, "web/forbidden.html", {"message": message}, status=403)


def requires(*caps, books=False):
    """Logged in, holding every capability (and, with ``books``, allowed to read the books), else a 403
    page; a ``not_allowed`` DocError raised by the view gives the same page."""
    def deco(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                for cap in caps:
                    require(request.user, cap)
                if books:
                    require_books(request.user)
                return view(request, *args, **kwargs)
            except DocError as e:
                if e.code == "not_allowed":
                    return forbidden(request, e.message)
                raise
        return login_required(wrapper)
    return deco
