from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("mon-espace/notifications/", views.my_notifications, name="mine"),
    path("notifications/desabonnement/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
