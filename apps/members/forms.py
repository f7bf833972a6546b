from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Role


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail"))
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices, initial=Role.MEMBER)


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(label=_("Rôle"), choices=Role.choices)


class SecurityPolicyForm(forms.Form):
    staff_two_factor_required = forms.BooleanField(
        label=_("Exiger la double authentification de l'équipe et des administrateurs"),
        required=False,
        help_text=_(
            "Chaque compte de l'équipe ou d'administration devra saisir, en plus de son mot de passe, "
            "le code d'une application d'authentification avant d'utiliser le site de la CPTS."
        ),
    )


class AccountChoiceField(forms.ModelChoiceField):
    """A choice of one account of this CPTS, shown by name (e-mail when it has none)."""

    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.email
