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
    path("recon/", include("stockbook.recon.urls")),
    path("cases/", include("stockbook.cases.urls")),
    path("external/", include("stockbook.external.urls")),
    path("dashboard/", include("stockbook.dashboard.urls")),
    path("purchasing/", include("stockbook.purchasing.urls")),
    path("sales/", include("stockbook.sales.urls")),
    path("batches/", include("stockbook.batches.urls")),
    path("invctl/", include("stockbook.invctl.urls")),
    path("", include("stockbook.web.urls")),
]
