from django.contrib.auth.decorators import login_required
from django.urls import path

from stockbook.access.web import requires

from . import views

app_name = "purchasing"

see = requires("view_documents")
order = requires("order_purchase")
qc = requires("quality_check")
receive = requires("doc_purchase")

urlpatterns = [
    path("orders/", see(views.order_list), name="order_list"),
    path("orders/new/", order(views.order_new), name="order_new"),
    path("orders/<int:pk>/", see(views.order_detail), name="order_detail"),
    path("orders/<int:pk>/edit/", order(views.order_edit), name="order_edit"),
    path("orders/<int:pk>/do/<str:action>/", order(views.order_action), name="order_action"),
    path("orders/<int:pk>/print/", see(views.order_print), name="order_print"),
    path("orders/<int:pk>/receive/", receive(views.order_receive), name="order_receive"),
    path("orders/<int:pk>/match/", see(views.order_match), name="order_match"),
    path("price-hint/", login_required(views.price_hint), name="price_hint"),
    path("prices/", requires("view_price")(views.prices), name="prices"),
    path("inspections/", qc(views.inspection_list), name="inspections"),
    path("inspections/<int:doc_id>/", qc(views.inspect_page), name="inspect"),
    path("scores/", requires("view_documents", "view_price")(views.scores), name="scores"),
    path("requisitions/", see(views.requisition_list), name="requisition_list"),
    path("requisitions/new/", order(views.requisition_new), name="requisition_new"),
    path("requisitions/<int:pk>/", order(views.requisition_detail), name="requisition_detail"),
    path("suggestions/", order(views.suggestions), name="suggestions"),
    path("settings/", login_required(views.settings_page), name="settings"),
]
