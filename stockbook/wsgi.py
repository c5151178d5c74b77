import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "stockbook.settings")
application = get_wsgi_application()

from stockbook.core.runtime import settle  # noqa: E402  (after the apps are loaded)

settle()
