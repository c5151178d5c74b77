from django.urls import path

from . import views
from .web import requires

app_name = "access"

urlpatterns = [
    path("roles/", requires("manage_access")(views.roles), name="roles"),
    path("users/", requires("manage_access")(views.users), name="users"),
    path("users/<int:pk>/", requires("manage_access")(views.user_edit), name="user_edit"),
]
