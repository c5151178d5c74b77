"""Web app URLs. Every page needs a logged-in user except login and the language switch."""
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path, register_converter

from .views import accounts, arap, documents, home, master, periods, reports, stock_api, stock_reports, vouchers

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


def cap(view, *caps, books=False):
    """Logged in and holding every capability (stockbook.access; ``books``: may read the books), else a
    403 page."""
    from stockbook.access.web import requires

    return requires(*caps, books=books)(view)


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", lr(home.home), name="home"),
    path("company/", cap(home.company, "manage_accounts"), name="company"),
    # business documents
    path("documents/", cap(documents.document_list, "view_documents"), name="document_list"),
    path("documents/new/", lr(documents.document_choose), name="document_choose"),
    path("documents/new/<str:type>/", cap(documents.document_new), name="document_new"),
    path("documents/<int:pk>/", cap(documents.document_detail, "view_documents"), name="document_detail"),
    path("documents/<int:pk>/void/", cap(documents.document_void, "view_documents"), name="document_void"),
    # JSON helpers of the document forms
    path("stock/items/search", lr(stock_api.item_search), name="stock_search"),
    path("stock/items/barcode", lr(stock_api.item_barcode), name="stock_barcode"),
    path("stock/availability", lr(stock_api.availability), name="stock_availability"),
    path("stock/ref-lines", lr(stock_api.ref_lines), name="stock_ref_lines"),
    path("stock/open-documents", lr(stock_api.open_documents), name="stock_open_documents"),
    path("stock/open-invoices", lr(stock_api.open_invoices), name="stock_open_invoices"),
    path("stock/next-ref", lr(stock_api.next_ref_view), name="stock_next_ref"),
    # stock reports and reconciliation
    path("reports/stock/<str:name>/", cap(stock_reports.report_page, "view_stock_reports"), name="stock_report"),
    path("reports/stock/<str:name>/export/<str:fmt>/", cap(stock_reports.report_export, "view_stock_reports", "export"), name="stock_report_export"),
    # master data
    path("<kind:kind>/", lr(master.master_list), name="master_list"),
    path("<kind:kind>/new/", cap(master.master_create, "manage_master"), name="master_create"),
    path("<kind:kind>/<int:pk>/", cap(master.master_edit, "manage_master"), name="master_edit"),
    path("<kind:kind>/<int:pk>/toggle/", cap(master.master_toggle, "manage_master"), name="master_toggle"),
    path("<kind:kind>/<int:pk>/delete/", cap(master.master_delete, "manage_master"), name="master_delete"),
    path("accounts/", cap(accounts.account_list, "view_books"), name="account_list"),
    path("accounts/new/", cap(accounts.account_create, "manage_accounts"), name="account_create"),
    path("accounts/<int:pk>/", cap(accounts.account_edit, "manage_accounts"), name="account_edit"),
    path("accounts/<int:pk>/delete/", cap(accounts.account_delete, "manage_accounts"), name="account_delete"),
    # vouchers
    path("vouchers/", cap(vouchers.voucher_list, books=True), name="voucher_list"),
    path("vouchers/new/", cap(vouchers.voucher_new, "voucher_make"), name="voucher_new"),
    path("vouchers/<int:pk>/", cap(vouchers.voucher_detail, books=True), name="voucher_detail"),
    path("vouchers/<int:pk>/audit/", cap(vouchers.voucher_audit, "voucher_audit"), name="voucher_audit"),
    path("vouchers/<int:pk>/unaudit/", cap(vouchers.voucher_unaudit, "voucher_audit"), name="voucher_unaudit"),
    path("vouchers/<int:pk>/print/", cap(vouchers.voucher_print, books=True), name="voucher_print"),
    path("vouchers/<int:pk>/pdf/", cap(vouchers.voucher_pdf_view, "export", books=True), name="voucher_pdf"),
    path("vouchers/no/<str:number>/", cap(vouchers.voucher_by_number, books=True), name="voucher_by_number"),
    # books
    # receivables and payables: aging, drill-down, statements (docs/ar-ap.md)
    path("arap/aging/<str:kind>/", cap(arap.aging_page, "view_documents", "view_price"), name="arap_aging"),
    path("arap/aging/<str:kind>/items/", cap(arap.aging_items, "view_documents", "view_price"), name="arap_items"),
    path("arap/aging/<str:kind>/export/<str:fmt>/", cap(arap.aging_export, "view_documents", "view_price", "export"), name="arap_aging_export"),
    path("arap/dunning/", cap(arap.dunning_page, "view_documents", "view_price"), name="arap_dunning"),
    path("arap/statement/", cap(arap.statement_page, "view_documents", "view_price"), name="arap_statement"),
    path("arap/statement/export/<str:fmt>/", cap(arap.statement_export, "view_documents", "view_price", "export"), name="arap_statement_export"),
    path("reports/trial-balance/", cap(reports.report_page, books=True), {"name": "trial-balance"}, name="trial_balance"),
    path("reports/general-ledger/", cap(reports.report_page, books=True), {"name": "general-ledger"}, name="general_ledger"),
    path("reports/detail-ledger/", cap(reports.report_page, books=True), {"name": "detail-ledger"}, name="detail_ledger"),
    path("reports/<str:name>/export/<str:fmt>/", cap(reports.report_export, "export", books=True), name="report_export"),
    path("periods/", cap(periods.periods, books=True), name="periods"),
    path("periods/close/", cap(periods.period_close, "period_close"), name="period_close"),
    path("periods/reopen/", cap(periods.period_reopen, "period_reopen"), name="period_reopen"),
]

i18n_patterns = [path("i18n/", include("django.conf.urls.i18n"))]
urlpatterns += i18n_patterns
