"""URL patterns of the notification pages. Included at the root by casework.urls; paths and names
are the public contract."""

from django.urls import path

from notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:notification_id>/open/", views.open_notification, name="notification-open"),
    path("notifications/<int:notification_id>/read/", views.mark_read, name="notification-read"),
    path("notifications/read-group/", views.mark_group_read, name="notifications-read-group"),
    path("notifications/read-all/", views.mark_all_read, name="notifications-read-all"),
    path("notifications/preferences/", views.preferences, name="notification-preferences"),
]
