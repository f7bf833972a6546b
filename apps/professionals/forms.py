import re

from django import forms
from django.utils.translation import gettext_lazy as _

from . import identifiers
from .models import IdentifierType, ProfessionalProfile


class ProfessionalProfileForm(forms.ModelForm):
    # Wider than the stored value: spaces and dots are accepted, then removed.
    identifier = forms.CharField(
        label=_("Numéro RPPS ou ADELI"),
        max_length=20,
        required=False,
        help_text=_("11 chiffres pour le RPPS, 9 pour l'ADELI ; les espaces sont acceptés."),
    )

    class Meta:
        model = ProfessionalProfile
        fields = [
            "profession",
            "identifier_type",
            "identifier",
            "practice_mode",
            "practice_place",
            "commune",
            "postcode",
            "phone",
        ]
        help_texts = {
            "practice_place": _("Cabinet, maison de santé, établissement…"),
        }
        widgets = {"phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"})}

    def clean_identifier(self):
        return identifiers.normalise(self.cleaned_data.get("identifier", ""))

    def clean_postcode(self):
        value = (self.cleaned_data.get("postcode") or "").strip()
        if value and not re.fullmatch(r"\d{5}|2[AB]\d{3}", value):
            raise forms.ValidationError(_("Le code postal doit comporter 5 chiffres."))
        return value

    def clean_phone(self):
        raw = (self.cleaned_data.get("phone") or "").strip()
        digits = re.sub(r"[\s.\-()]", "", raw)
        if digits.startswith("+33"):
            digits = "0" + digits[3:]
        if digits and not re.fullmatch(r"0\d{9}", digits):
            raise forms.ValidationError(_("Saisissez un numéro de téléphone français à 10 chiffres."))
        return digits

    def clean(self):
        data = super().clean()
        kind, number = data.get("identifier_type"), data.get("identifier", "")
        self.adeli_warning = False
        if kind == IdentifierType.RPPS:
            error = identifiers.rpps_error(number)
            if error:
                self.add_error("identifier", error)
        elif kind == IdentifierType.ADELI:
            error = identifiers.adeli_error(number)
            if error:
                self.add_error("identifier", error)
            self.adeli_warning = identifiers.adeli_key_is_suspicious(number)
        elif kind == IdentifierType.NONE:
            data["identifier"] = ""
        return data
