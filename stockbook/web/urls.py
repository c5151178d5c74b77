"""Web app URLs. Every page needs a logged-in user except login and the language switch."""
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path, register_converter

from .views import accounts, documents, home, master, periods, reports, stock_api, stock_reports, vouchers

app_name = "web"


class KindConverter:
    regex = "items|warehouses|suppliers|customers"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(KindConverter, "kind")


def lr(view):
    return login_required(view)


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", lr(home.home), name="home"),
    path("company/", lr(home.company), name="company"),
    # business documents
    path("documents/", lr(documents.document_list), name="document_list"),
    path("documents/new/", lr(documents.document_choose), name="document_choose"),
    path("documents/new/<str:type>/", lr(documents.document_new), name="document_new"),
    path("documents/<int:pk>/", lr(documents.document_detail), name="document_detail"),
    # JSON helpers of the document forms
    path("stock/items/search", lr(stock_api.item_search), name="stock_search"),
    path("stock/items/barcode", lr(stock_api.item_barcode), name="stock_barcode"),
    path("stock/availability", lr(stock_api.availability), name="stock_availability"),
    path("stock/ref-lines", lr(stock_api.ref_lines), name="stock_ref_lines"),
    path("stock/open-documents", lr(stock_api.open_documents), name="stock_open_documents"),
    path("stock/open-invoices", lr(stock_api.open_invoices), name="stock_open_invoices"),
    path("stock/next-ref", lr(stock_api.next_ref_view), name="stock_next_ref"),
    # stock reports and reconciliation
    path("reports/stock/<str:name>/", lr(stock_reports.report_page), name="stock_report"),
    path("reports/stock/<str:name>/export/<str:fmt>/", lr(stock_reports.report_export), name="stock_report_export"),
    # master data
    path("<kind:kind>/", lr(master.master_list), name="master_list"),
    path("<kind:kind>/new/", lr(master.master_create), name="master_create"),
    path("<kind:kind>/<int:pk>/", lr(master.master_edit), name="master_edit"),
    path("<kind:kind>/<int:pk>/toggle/", lr(master.master_toggle), name="master_toggle"),
    path("<kind:kind>/<int:pk>/delete/", lr(master.master_delete), name="master_delete"),
    path("accounts/", lr(accounts.account_list), name="account_list"),
    path("accounts/new/", lr(accounts.account_create), name="account_create"),
    path("accounts/<int:pk>/", lr(accounts.account_edit), name="account_edit"),
    path("accounts/<int:pk>/delete/", lr(accounts.account_delete), name="account_delete"),
    # vouchers
    path("vouchers/", lr(vouchers.voucher_list), name="voucher_list"),
    path("vouchers/new/", lr(vouchers.voucher_new), name="voucher_new"),
    path("vouchers/<int:pk>/", lr(vouchers.voucher_detail), name="voucher_detail"),
    path("vouchers/<int:pk>/print/", lr(vouchers.voucher_print), name="voucher_print"),
    path("vouchers/<int:pk>/pdf/", lr(vouchers.voucher_pdf_view), name="voucher_pdf"),
    path("vouchers/no/<str:number>/", lr(vouchers.voucher_by_number), name="voucher_by_number"),
    # books
    path("reports/trial-balance/", lr(reports.report_page), {"name": "trial-balance"}, name="trial_balance"),
    path("reports/general-ledger/", lr(reports.report_page), {"name": "general-ledger"}, name="general_ledger"),
    path("reports/detail-ledger/", lr(reports.report_page), {"name": "detail-ledger"}, name="detail_ledger"),
    path("reports/<str:name>/export/<str:fmt>/", lr(reports.report_export), name="report_export"),
    path("periods/", lr(periods.periods), name="periods"),
    path("periods/close/", lr(periods.period_close), name="period_close"),
    path("periods/reopen/", lr(periods.period_reopen), name="period_reopen"),
]

i18n_patterns = [path("i18n/", include("django.conf.urls.i18n"))]
urlpatterns += i18n_patterns
