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
            (str(r.user_id), r.user.get_full_name() or r.user.email) for r in registrations
        ]
        self.initial.setdefault("present", [str(r.user_id) for r in registrations if r.attended])
