from django.urls import path

from stockbook.access.web import requires

from . import views

app_name = "external"
urlpatterns = [
    path("", requires("reconcile")(views.index), name="index"),
    path("run/", requires("reconcile")(views.run), name="run"),
    path("runs/<int:pk>/", requires("reconcile")(views.run_detail), name="run_detail"),
    path("runs/<int:pk>/export/<str:fmt>/", requires("reconcile")(views.run_export), name="run_export"),
]
