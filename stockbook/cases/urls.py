from django.urls import path

from stockbook.access.web import requires

from . import views

app_name = "cases"

rec = requires("reconcile")

urlpatterns = [
    path("", rec(views.case_list), name="list"),
    path("<int:pk>/", rec(views.case_detail), name="detail"),
    path("<int:pk>/transition/", rec(views.case_transition), name="transition"),
    path("<int:pk>/comment/", rec(views.case_comment), name="comment"),
    path("<int:pk>/assign/", rec(views.case_assign), name="assign"),
    path("<int:pk>/cause/", rec(views.case_cause), name="cause"),
    path("certification/", rec(views.certification), name="certification"),
    path("certification/prepare/", rec(views.certification_action), {"action": "prepare"}, name="prepare"),
    path("certification/certify/", rec(views.certification_action), {"action": "certify"}, name="certify"),
    path("close-check/", rec(views.close_check_page), name="close_check"),
]
