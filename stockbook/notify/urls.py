from django.urls import path

from . import views

app_name = "notify"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("unread-count", views.unread_count, name="unread_count"),
    path("read-all", views.mark_all_read, name="read_all"),
    path("preferences", views.preferences, name="preferences"),
    path("<int:pk>/open", views.open_notification, name="open"),
    path("<int:pk>/read", views.mark_read, name="read"),
    path("channels/", views.channel_list, name="channels"),
    path("channels/new/", views.channel_edit, name="channel_new"),
    path("channels/<int:pk>/", views.channel_edit, name="channel_edit"),
    path("channels/<int:pk>/delete", views.channel_delete, name="channel_delete"),
    path("channels/<int:pk>/test", views.channel_test, name="channel_test"),
    path("deliveries/<int:pk>/retry", views.delivery_retry, name="delivery_retry"),
]
