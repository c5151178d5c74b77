from django.urls import path

from stockbook.access.web import requires

from . import views

app_name = "approvals"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("count", views.count, name="count"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/delegate/", views.delegate, name="delegate"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("workflows/", requires("manage_access")(views.workflows), name="workflows"),
    path("workflows/new/", requires("manage_access")(views.workflow_edit), name="workflow_new"),
    path("workflows/<int:pk>/", requires("manage_access")(views.workflow_edit), name="workflow_edit"),
    path("workflows/<int:pk>/delete/", requires("manage_access")(views.workflow_delete), name="workflow_delete"),
]
