from django.urls import path

from stockbook.access.web import requires

from . import views

app_name = "batches"
r = requires("view_stock_reports")

urlpatterns = [
    path("", r(views.batch_list), name="list"),
    path("alerts/", r(views.alerts_page), name="alerts"),
    path("trace/", r(views.trace_page), name="trace"),
    path("document/<int:doc_id>/", requires("view_documents")(views.document_panel), name="document"),
    path("policies/", r(views.policy_list), name="policies"),
    path("policies/<str:code>/", requires("manage_master")(views.policy_edit), name="policy_edit"),
]
