"""National identifiers of health professionals (CPTS.md §4): RPPS and ADELI.

RPPS: 11 digits whose last one is a Luhn key over all 11. ADELI: 9 digits; its Luhn key is only a
soft warning (many valid ADELI numbers fail it). Input is normalised (spaces, dots, dashes) first.
A valid key does not prove the number exists.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from stdnum import luhn

RPPS = "rpps"
ADELI = "adeli"


def normalise(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def rpps_error(value: str) -> str | None:
    """None when ``value`` (normalised) is a well-formed RPPS number, else the reason in French."""
    if not re.fullmatch(r"\d{11}", value):
        return _("Le numéro RPPS doit comporter 11 chiffres.")
    if not luhn.is_valid(value):
        return _("La clé du numéro RPPS est incorrecte : vérifiez votre saisie.")
    return None


def adeli_error(value: str) -> str | None:
    if not re.fullmatch(r"\d{9}", value):
        return _("Le numéro ADELI doit comporter 9 chiffres.")
    return None


def adeli_key_is_suspicious(value: str) -> bool:
    return bool(re.fullmatch(r"\d{9}", value)) and not luhn.is_valid(value)
