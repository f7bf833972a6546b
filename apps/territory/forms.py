from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AciSize


class AddCommunesForm(forms.Form):
    codes = forms.CharField(
        label=_("Codes INSEE à ajouter"),
        help_text=_(
            "Un ou plusieurs codes INSEE séparés par des espaces ou des virgules (ex. 42218, 2A004)."
        ),
        max_length=2000,
    )

    def clean_codes(self):
        value = self.cleaned_data["codes"].replace(",", " ").replace(";", " ")
        return [code.strip().upper() for code in value.split() if code.strip()]


class AddCantonForm(forms.Form):
    canton = forms.CharField(
        label=_("Canton à ajouter"),
        help_text=_(
            "Le code du canton (ex. 4521) ou son nom exact ; cherchez-le par son nom ou une de ses "
            "communes ci-dessus. Toutes ses communes sont ajoutées."
        ),
        max_length=200,
        error_messages={"required": _("Indiquez un canton.")},
    )


class AciSizeForm(forms.Form):
    size = forms.TypedChoiceField(
        label=_("Taille ACI retenue"),
        choices=[("", _("Calculée d'après la population"))] + list(AciSize.choices),
        coerce=int,
        empty_value=None,
        required=False,
    )
