"""Identifiers and code lists of the national registers (CPTS.md §4)."""

from __future__ import annotations

import re

from stdnum import luhn
from stdnum.fr import siret as stdnum_siret

from .models import Family

_CORSICA_FINESS = re.compile(r"^2[AB]\d{7}$")

# FINESS ``categetab`` → directory family (CPTS.md §4). Anything else is "other".
FINESS_FAMILIES: dict[str, str] = {
    **dict.fromkeys(["500", "501", "502", "202"], Family.RETIREMENT),
    **dict.fromkeys(["354", "460", "209", "127"], Family.HOME_CARE),
    **dict.fromkeys(
        ["183", "182", "186", "190", "246", "255", "437", "448", "449", "445", "446"], Family.DISABILITY
    ),
    **dict.fromkeys(["214", "443", "258", "197", "178", "165"], Family.SOCIAL),
    **dict.fromkeys(
        ["101", "355", "106", "365", "128", "129", "122", "109", "292"], Family.HEALTH_ESTABLISHMENT
    ),
    "603": Family.MSP,
    "124": Family.HEALTH_CENTRE,
    "620": Family.PHARMACY,
}

# Words people type for a profession that its official label does not contain.
PROFESSION_SYNONYMS: dict[str, str] = {
    "10": "medecin docteur",
    "21": "pharmacie",
    "40": "dentiste",
    "50": "sage femme maieuticien",
    "60": "infirmiere infirmier idel",
    "70": "kine kinesitherapeute physiotherapeute",
    "91": "orthophonie",
    "93": "psy",
    "SM53": "generaliste medecin traitant",
}

# FINESS ``departement`` of overseas départements → first two digits of the INSEE code.
FINESS_OVERSEAS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976"}


def digits(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def is_valid_rpps(value: str) -> bool:
    value = digits(value)
    return len(value) == 11 and value.isdigit() and luhn.is_valid(value)


def is_valid_adeli(value: str) -> bool:
    """Format only: ADELI keys are a soft check (CPTS.md §4)."""
    value = digits(value)
    return len(value) == 9 and value.isdigit()


def is_valid_finess(value: str) -> bool:
    """9 characters with a Luhn key; Corsican numbers (2A/2B + 7 digits) are checked for format only."""
    value = digits(value).upper()
    if _CORSICA_FINESS.match(value):
        return True
    return len(value) == 9 and value.isdigit() and luhn.is_valid(value)


def is_valid_siret(value: str) -> bool:
    return stdnum_siret.is_valid(digits(value))


def finess_insee_code(departement: str, commune: str) -> str:
    """INSEE code of a FINESS ``structureet`` line: département + commune, overseas ``97`` + commune
    (``9A`` + ``101`` → ``97101``), Corsica kept as ``2A``/``2B``."""
    departement = departement.strip().upper()
    commune = commune.strip()
    if departement in FINESS_OVERSEAS:
        return "97" + commune.zfill(3)
    return departement.zfill(2) + commune.zfill(3)


def normalize_phone(value: str) -> str:
    value = digits(value)
    if len(value) == 10 and value.isdigit():
        return " ".join(value[i : i + 2] for i in range(0, 10, 2))
    return value
