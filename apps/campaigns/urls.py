from django.urls import path

from . import public_views, views

app_name = "campaigns"
urlpatterns = [
    path("equipe/campagnes/", views.campaign_list, name="list"),
    path("equipe/campagnes/nouvelle/", views.campaign_create, name="create"),
    path("equipe/campagnes/expediteur/", views.sender_settings, name="sender"),
    path("equipe/campagnes/destinataires.json", views.audience_count, name="audience_count"),
    path("equipe/campagnes/<int:pk>/", views.campaign_detail, name="detail"),
    path("equipe/campagnes/<int:pk>/modifier/", views.campaign_edit, name="edit"),
    path("equipe/campagnes/<int:pk>/test/", views.campaign_test, name="test"),
    path("equipe/campagnes/<int:pk>/envoyer/", views.campaign_send, name="send"),
    path("equipe/campagnes/<int:pk>/annuler/", views.campaign_cancel, name="cancel"),
    path("equipe/campagnes/<int:pk>/progression.json", views.campaign_progress, name="progress"),
    path("annuaire/<int:pk>/recevoir-les-nouvelles/", public_views.optin_request, name="optin"),
    path("annuaire/<int:pk>/recevoir-les-nouvelles/merci/", public_views.optin_sent, name="optin_sent"),
    path("recevoir-les-nouvelles/confirmer/<str:token>/", public_views.optin_confirm, name="optin_confirm"),
]
