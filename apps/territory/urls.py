from django.urls import path

from . import views

app_name = "territory"
urlpatterns = [
    path("equipe/territoire/", views.team, name="team"),
    path("equipe/territoire/recherche/", views.commune_search, name="commune_search"),
    path("equipe/territoire/canton/", views.add_canton, name="add_canton"),
    path("equipe/territoire/communes/<str:code>/retirer/", views.remove, name="remove"),
    path("equipe/territoire/taille-aci/", views.aci_size, name="aci_size"),
]
