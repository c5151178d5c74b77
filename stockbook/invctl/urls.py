from django.urls import path
from django.views.generic import RedirectView

from stockbook.access.web import requires

from . import views

app_name = "invctl"
r = requires("view_stock_reports")

urlpatterns = [
    path("", RedirectView.as_view(url="safety/"), name="index"),
    path("<str:name>/", r(views.page), name="report"),
    path("<str:name>/export.<str:fmt>", r(views.export), name="export"),
]
