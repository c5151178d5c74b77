from django.contrib import admin
from django.urls import include, path

from stockbook.interchange.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("access/", include("stockbook.access.urls")),
    path("audit/", include("stockbook.audit.urls")),
    path("api/", api.urls),
    path("notifications/", include("stockbook.notify.urls")),
    path("approvals/", include("stockbook.approvals.urls")),
    path("", include("stockbook.web.urls")),
]
