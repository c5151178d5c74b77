from django.urls import path

from stockbook.access.web import requires

from . import views

app_name = "sales"

order = requires("order_sales")
see = requires()  # reading: order_sales or view_documents, checked in actions.require_read / get_order

urlpatterns = [
    path("orders/", see(views.order_list), name="order_list"),
    path("orders/new/", order(views.order_new), name="order_new"),
    path("orders/<str:no>/", see(views.order_detail), name="order_detail"),
    path("orders/<str:no>/do/<str:action>/", order(views.order_action), name="order_action"),
    path("orders/<str:no>/print/", see(views.order_print), name="order_print"),
    path("orders/<str:no>/deliver/", requires("doc_sales")(views.order_deliver), name="order_deliver"),
    path("orders/<str:no>/invoice/", requires("doc_invoice")(views.order_invoice), name="order_invoice"),
    path("orders/<str:no>/receipt/", requires("doc_cash")(views.order_receipt), name="order_receipt"),
    path("quotations/", see(views.quotation_list), name="quotation_list"),
    path("quotations/new/", order(views.quotation_new), name="quotation_new"),
    path("quotations/<str:no>/", see(views.quotation_detail), name="quotation_detail"),
    path("quotations/<str:no>/do/<str:action>/", order(views.quotation_action), name="quotation_action"),
    path("reservations/", see(views.reservation_list), name="reservations"),
    path("prices/", see(views.price_rules), name="price_rules"),
    path("api/availability", see(views.availability_json), name="availability"),
    path("api/price", see(views.price_json), name="price"),
]
