from django.urls import path

from . import views

app_name = "stripe_gateway"
urlpatterns = [path("webhook/", views.stripe_webhook, name="webhook")]
