from django.urls import path

from . import views

app_name = "onboarding"
urlpatterns = [
    path("equipe/premiers-pas/", views.overview, name="overview"),
    path("equipe/premiers-pas/identite/", views.identity, name="identity"),
    path("equipe/premiers-pas/territoire/", views.territory, name="territory"),
    path("equipe/premiers-pas/territoire/recherche/", views.territory_search, name="territory_search"),
    path("equipe/premiers-pas/territoire/ajouter/", views.territory_add, name="territory_add"),
    path(
        "equipe/premiers-pas/territoire/<str:code>/retirer/", views.territory_remove, name="territory_remove"
    ),
    path("equipe/premiers-pas/annuaire/", views.directory, name="directory"),
    path("equipe/premiers-pas/formules/", views.tiers, name="tiers"),
    path("equipe/premiers-pas/paiement/", views.stripe, name="stripe"),
    path("equipe/premiers-pas/paiement/retour/", views.stripe_return, name="stripe_return"),
    path("equipe/premiers-pas/actualite/", views.news, name="news"),
    path("equipe/premiers-pas/mise-en-ligne/", views.publish, name="publish"),
]
