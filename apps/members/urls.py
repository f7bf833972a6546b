from django.urls import path

from . import views

app_name = "members"
urlpatterns = [
    path("mon-espace/", views.member_space, name="member_space"),
    path("mon-espace/profil/", views.edit_profile, name="edit_profile"),
    path("equipe/", views.team_space, name="team_space"),
    path("equipe/securite/", views.security, name="security"),
    path("equipe/membres/<int:pk>/role/", views.change_member_role, name="change_role"),
    path("equipe/membres/<int:pk>/retirer/", views.remove_member, name="remove_member"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
