from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .provisioning import CommunityRequest, slug_from_name, validate_community_request


class CommunityForm(forms.Form):
    name = forms.CharField(label=_("Nom de la CPTS"), max_length=200)
    slug = forms.CharField(
        label=_("Identifiant (sous-domaine)"),
        max_length=40,
        required=False,
        help_text=_(
            "Lettres minuscules, chiffres et tirets, ex. cpts-val-de-loire. Laissez vide pour le déduire du nom."
        ),
    )
    territory_summary = forms.CharField(label=_("Territoire"), max_length=300, required=False)
    admin_email = forms.EmailField(label=_("E-mail du premier administrateur"))

    def clean(self):
        """Show every problem at once: the provisioning rules (reserved or taken slug…) too."""
        data = super().clean()
        if not data.get("slug") and "slug" not in self.errors:
            data["slug"] = slug_from_name(self.data.get("name", ""))
        request = CommunityRequest(
            slug=data.get("slug") or self.data.get("slug", ""),
            name=self.data.get("name", ""),
            admin_email=self.data.get("admin_email", ""),
        )
        try:
            validate_community_request(request)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field not in self.errors:
                    for message in messages:
                        self.add_error(field, message)
        return data
