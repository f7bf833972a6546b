from django.urls import path

from . import views

app_name = "dues"
urlpatterns = [
    path("adhesion/", views.join, name="join"),
    path("adhesion/compte/", views.signup, name="signup"),
    path("adhesion/renouveler/", views.renew, name="renew"),
    path("cotisation/<int:dues_id>/paiement/", views.pay, name="pay"),
    path("cotisation/paiement/<int:payment_id>/confirmer/", views.confirm_payment, name="confirm_payment"),
    path("cotisation/paiement/<int:payment_id>/", views.payment_status, name="payment_status"),
    path("recus/<int:receipt_id>/", views.receipt_pdf, name="receipt_pdf"),
    path("mon-espace/renouvellement/", views.auto_renew, name="auto_renew"),
    path("mon-espace/mes-cpts/", views.everywhere, name="everywhere"),
    path("mon-espace/renouvellement/carte/", views.card_setup, name="card_setup"),
    path("equipe/adherents/", views.team_members, name="team_members"),
    path("equipe/adherents/<int:membership_id>/", views.team_member_detail, name="team_member"),
    path("equipe/cotisations/chiffres/", views.team_figures, name="team_figures"),
    path("equipe/cotisations/reglages/", views.team_settings, name="team_settings"),
    path("equipe/cotisations/formules/nouvelle/", views.team_tier, name="team_tier_new"),
    path("equipe/cotisations/formules/<int:tier_id>/", views.team_tier, name="team_tier"),
    path("equipe/cotisations/stripe/", views.stripe_connect, name="stripe_connect"),
    path("equipe/cotisations/stripe/retour/", views.stripe_return, name="stripe_return"),
]
