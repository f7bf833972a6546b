from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.richtext import make_rich

from .models import Event


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = [
            "title",
            "kind",
            "description",
            "location",
            "starts_at",
            "ends_at",
            "visibility",
            "status",
            "capacity",
            "price",
            "registration_open",
            "reminder_hours_before",
        ]
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "ends_at": DateTimeLocalInput(),
            "description": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        make_rich(self, "description")
        # Empty means free; a paid price needs the CPTS's Stripe account (checked by the service).
        self.fields["price"].required = False

    def clean_price(self):
        price = self.cleaned_data.get("price")
        return Decimal("0") if price is None else price

    def clean(self):
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at < starts_at:
            self.add_error("ends_at", _("La fin doit être postérieure au début."))
        return cleaned


class AttendanceForm(forms.Form):
    present = forms.MultipleChoiceField(
        label=_("Présents"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, registrations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [
            (r.attendance_key, r.display_name + ("" if r.user_id else " " + str(_("(invité)"))))
            for r in registrations
        ]
        self.initial.setdefault("present", [r.attendance_key for r in registrations if r.attended])


class GuestRegistrationForm(forms.Form):
    """A visitor without an account registers by name and e-mail. ``website`` is a honeypot:
    hidden from people, filled by bots."""

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    email = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    website = forms.CharField(label=_("Ne pas remplir ce champ"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))
