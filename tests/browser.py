"""Debian's Chromium (``/usr/bin/chromium``, never a downloaded browser) driven by Playwright, for the
browser tests."""
import os
from contextlib import contextmanager

import pytest

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian Chromium not installed at {CHROMIUM} (make sysdeps)")


@contextmanager
def chromium():
    """A launched Chromium. Playwright's sync API keeps an event loop running in this thread; Django's ORM
    (the fixtures, the database flush between tests) refuses to run beside one unless told it is safe — it
    is: nothing async touches the database. Allowed while the browser is open, restored after."""
    from playwright.sync_api import sync_playwright

    old = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
            try:
                yield b
            finally:
                b.close()
    finally:
        if old is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = old
