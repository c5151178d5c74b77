from django.urls import path

from stockbook.access.web import requires

from . import views

app_name = "recon"

urlpatterns = [
    path("", requires(books=True)(views.workbench), name="workbench"),
    path("rules/", requires(books=True)(views.rule_list), name="rules"),
    path("rules/new/", requires("manage_recon_rules", books=True)(views.rule_edit), name="rule_new"),
    path("rules/<int:pk>/", requires("manage_recon_rules", books=True)(views.rule_edit), name="rule_edit"),
    path("rules/<int:pk>/<str:action>/", requires("manage_recon_rules", books=True)(views.rule_action), name="rule_action"),
    path("causes/", requires(books=True)(views.cause_list), name="causes"),
    path("causes/new/", requires("manage_recon_rules", books=True)(views.cause_edit), name="cause_new"),
    path("causes/<str:code>/", requires("manage_recon_rules", books=True)(views.cause_edit), name="cause_edit"),
    path("thresholds/", requires("manage_recon_rules", books=True)(views.threshold_list), name="thresholds"),
    path("thresholds/<int:pk>/delete/", requires("manage_recon_rules", books=True)(views.threshold_delete), name="threshold_delete"),
]
