from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.page, name="index"),
    path("data/overview", views.overview, name="overview"),
    path("data/by-warehouse", views.by_warehouse, name="by_warehouse"),
    path("data/heatmap", views.heatmap, name="heatmap"),
    path("data/trend", views.trend, name="trend"),
    path("data/details", views.details, name="details"),
    path("data/my-cases", views.my_cases, name="my_cases"),
    path("data/version", views.version, name="version"),
]
