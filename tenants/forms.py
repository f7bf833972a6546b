from django import forms
from django.utils.translation import gettext_lazy as _


class CommunityForm(forms.Form):
    name = forms.CharField(label=_("Nom de la CPTS"), max_length=200)
    slug = forms.CharField(
        label=_("Identifiant (sous-domaine)"),
        max_length=40,
        help_text=_("Lettres minuscules, chiffres et tirets, ex. cpts-val-de-loire."),
    )
    territory_summary = forms.CharField(label=_("Territoire"), max_length=300, required=False)
    admin_email = forms.EmailField(label=_("E-mail du premier administrateur"))
