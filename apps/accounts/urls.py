from django.urls import path

from . import two_factor, views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("creer/<str:token>/", views.signup_confirm, name="signup_confirm"),
    path("vers/<slug:schema>/", views.handoff_start, name="handoff_start"),
    path("arrivee/", views.handoff_arrive, name="handoff_arrive"),
    path("mot-de-passe/oubli/", views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/oubli/envoye/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("double-authentification/", two_factor.verify, name="two_factor_verify"),
    path("double-authentification/activer/", two_factor.enrol, name="two_factor_enrol"),
    path("securite/", two_factor.security, name="security"),
    path("securite/codes-de-secours/", two_factor.recovery_codes, name="recovery_codes"),
    path("securite/nouveau-telephone/", two_factor.replace_phone, name="replace_phone"),
    path("securite/double-authentification/desactiver/", two_factor.disable, name="two_factor_disable"),
    path("mot-de-passe/change/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]
