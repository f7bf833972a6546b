from apps.professionals import identifiers
from apps.professionals.forms import ProfessionalProfileForm

BASE = {
    "profession": "10",
    "identifier_type": "rpps",
    "practice_mode": "L",
    "practice_place": "Cabinet",
    "commune": "Vannes",
    "postcode": "56000",
    "phone": "",
}


def test_a_well_formed_rpps_passes_and_a_wrong_key_is_refused():
    assert identifiers.rpps_error("10000000009") is None
    assert "clé" in identifiers.rpps_error("10000000008")
    assert "11 chiffres" in identifiers.rpps_error("1000000000")


def test_input_is_normalised_before_the_rpps_check(db):
    form = ProfessionalProfileForm(data={**BASE, "identifier": "100 000.000-09"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["identifier"] == "10000000009"


def test_the_form_explains_a_bad_rpps_key_in_french(db):
    form = ProfessionalProfileForm(data={**BASE, "identifier": "10000000008"})
    assert not form.is_valid()
    assert form.errors["identifier"] == ["La clé du numéro RPPS est incorrecte : vérifiez votre saisie."]


def test_an_adeli_with_a_bad_luhn_key_is_accepted_with_a_warning(db):
    form = ProfessionalProfileForm(data={**BASE, "identifier_type": "adeli", "identifier": "123456789"})
    assert form.is_valid(), form.errors
    assert form.adeli_warning is True
    form = ProfessionalProfileForm(data={**BASE, "identifier_type": "adeli", "identifier": "12345"})
    assert not form.is_valid() and "9 chiffres" in form.errors["identifier"][0]


def test_a_french_phone_number_is_normalised_and_a_foreign_one_refused(db):
    form = ProfessionalProfileForm(data={**BASE, "identifier": "10000000009", "phone": "+33 6 12 34 56 78"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "0612345678"
    form = ProfessionalProfileForm(data={**BASE, "identifier": "10000000009", "phone": "12 34"})
    assert not form.is_valid()
