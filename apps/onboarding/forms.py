from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.richtext import make_rich
from apps.site.forms import BrandingForm


class IdentityForm(BrandingForm):
    """The identity step: the few branding fields a new CPTS needs first (the rest stays on the
    site's identity page)."""

    class Meta(BrandingForm.Meta):
        fields = ["tagline", "primary_color", "contact_email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("favicon_file", "remove_favicon"):
            self.fields.pop(name, None)
        self.fields["logo_file"].label = _("Logo")


class TiersForm(forms.Form):
    """One name and one amount per offered tier, prefilled with the current ones."""

    def __init__(self, *args, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.tiers = tiers
        for tier in tiers:
            self.fields[f"name_{tier.pk}"] = forms.CharField(
                label=_("Nom de la formule"), max_length=120, initial=tier.name
            )
            self.fields[f"price_{tier.pk}"] = forms.DecimalField(
                label=_("Montant (€)"),
                max_digits=8,
                decimal_places=2,
                min_value=Decimal("0"),
                initial=tier.price,
            )

    def rows(self):
        return [(tier, self[f"name_{tier.pk}"], self[f"price_{tier.pk}"]) for tier in self.tiers]

    def prices(self) -> dict[int, tuple[str, Decimal]]:
        return {
            tier.pk: (self.cleaned_data[f"name_{tier.pk}"], self.cleaned_data[f"price_{tier.pk}"])
            for tier in self.tiers
        }


class FirstNewsForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    body = forms.CharField(label=_("Texte"), widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        make_rich(self, "body")
