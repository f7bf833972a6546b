"""A service's ValidationError lands on the form: under its field when the form has it, at the top
otherwise, renamed where the form names the field differently; no message is dropped."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from apps.form_errors import add_errors_to_form


class _Form(forms.Form):
    title = forms.CharField()
    logo_file = forms.FileField(required=False)


def _bound() -> _Form:
    form = _Form(data={"title": "Réunion"})
    assert form.is_valid()
    return form


def test_field_errors_go_under_their_field_and_the_rest_on_top():
    form = _bound()
    add_errors_to_form(
        form,
        ValidationError(
            {"title": ["Titre déjà pris."], "starts_at": ["Date passée."], "logo": ["Pas une image."]}
        ),
        renamed={"logo": "logo_file"},
    )
    assert form.errors == {
        "title": ["Titre déjà pris."],
        "__all__": ["Date passée."],
        "logo_file": ["Pas une image."],
    }


def test_a_plain_error_keeps_every_message_on_top():
    form = _bound()
    add_errors_to_form(form, ValidationError(["Complet.", "Inscriptions closes."]))
    assert form.non_field_errors() == ["Complet.", "Inscriptions closes."]
