from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("equipe/tableau-de-bord/", views.home, name="home"),
]
