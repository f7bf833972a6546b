from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.geo.models import Commune
from apps.territory.selectors import get_territory_codes

from .models import WEEKDAYS, Slot


class SlotForm(forms.ModelForm):
    REPEAT_CHOICES = [("weekly", _("Chaque semaine")), ("once", _("Une seule fois"))]

    repeat = forms.ChoiceField(label=_("Récurrence"), choices=REPEAT_CHOICES, initial="weekly")
    weekday = forms.TypedChoiceField(
        label=_("Jour de la semaine"),
        choices=[("", "—"), *WEEKDAYS],
        coerce=int,
        required=False,
        empty_value=None,
    )

    class Meta:
        model = Slot
        # Checked here with French messages under their field (the model's constraints back them up).
        fields = [
            "kind", "place", "place_name", "address", "commune", "phone", "instructions",
            "repeat", "weekday", "date", "starts_at", "ends_at", "valid_from", "valid_until",
        ]  # fmt: skip
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "starts_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "ends_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {
            "phone": _("Le numéro que les patients appellent (jamais de données de patients ici)."),
            "valid_until": _("Laissez vide si le créneau revient sans date de fin."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = Commune.objects.filter(code__in=get_territory_codes()).order_by(
            "name"
        )
        self.fields["commune"].empty_label = _("Choisissez une commune du territoire")
        self.fields["valid_from"].required = False

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("L'heure de fin doit suivre l'heure de début."))
        if data.get("repeat") == "once":
            data["weekday"] = None
            if not data.get("date"):
                self.add_error("date", _("Indiquez la date du créneau."))
        else:
            data["date"] = None
            if data.get("weekday") is None:
                self.add_error("weekday", _("Choisissez le jour de la semaine."))
        return data


class GapRequestForm(forms.Form):
    commune = forms.CharField(max_length=5)
    day = forms.DateField()
    message = forms.CharField(label=_("Message aux professionnels"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


class PublicFilterForm(forms.Form):
    """The public page's commune filter: a commune of the territory, or every one (empty)."""

    commune = forms.ChoiceField(label=_("Commune"), required=False)

    def __init__(self, *args, communes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = [
            ("", _("Toutes les communes")),
            *((c.code, c.name) for c in communes),
        ]
        self.fields["commune"].error_messages["invalid_choice"] = _(
            "Cette commune n'est pas sur le territoire de la CPTS : toutes les communes sont affichées."
        )
