"""Builders of national extract files, in their real formats, for tests and benchmarks.

Annuaire Santé professionals (56 or 52 columns, UTF-8 or Windows-1252, trailing ``|``) and FINESS
establishments (``;``, Windows-1252, no header, ``structureet`` then ``geolocalisation``).
"""

from __future__ import annotations

from stdnum import luhn

RPPS_HEADER_56 = (
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|"
    "Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|"
    "Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|"
    "Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|"
    "Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|"
    "Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|"
    "Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|"
    "Numéro Voie (coord. structure)|Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|"
    "Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|"
    "Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|"
    "Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|"
    "Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|"
    "Adresse e-mail (coord. structure)|Code Département (structure)|Libellé Département (structure)|"
    "Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|"
    "Libellé secteur d'activité|Code section tableau pharmaciens|Libellé section tableau pharmaciens|Code rôle|"
    "Libellé rôle|Code genre activité|Libellé genre activité"
).split("|")
RPPS_HEADER_52 = RPPS_HEADER_56[:52]

PROFESSIONS = [
    ("10", "Médecin", "SM53", "Spécialiste en Médecine Générale"),
    ("10", "Médecin", "SM54", "Cardiologie et maladies vasculaires"),
    ("21", "Pharmacien", "", ""),
    ("40", "Chirurgien-Dentiste", "", ""),
    ("50", "Sage-Femme", "", ""),
    ("60", "Infirmier", "", ""),
    ("70", "Masseur-Kinésithérapeute", "", ""),
    ("91", "Orthophoniste", "", ""),
    ("93", "Psychologue", "", ""),
]


def rpps_number(seed: int) -> str:
    """A well-formed RPPS (``10`` + 8 digits + Luhn key), distinct per seed."""
    body = f"10{seed % 10**8:08d}"
    return body + luhn.calc_check_digit(body)


def rpps_row(
    *,
    rpps: str,
    last_name: str,
    first_name: str,
    commune: str,
    postcode: str,
    city: str,
    profession: tuple[str, str, str, str] = PROFESSIONS[0],
    street: str = "rue de la République",
    number: str = "12",
    site_id: str = "S1",
    phone: str = "0102030405",
    email: str = "",
    id_type: str = "8",
    mode: tuple[str, str] = ("L", "Libéral"),
) -> dict[str, str]:
    code, label, skill_code, skill_label = profession
    return {
        "Type d'identifiant PP": id_type,
        "Identifiant PP": rpps,
        "Identification nationale PP": ("8" if id_type == "8" else "0") + rpps,
        "Code civilité d'exercice": "DR" if code == "10" else "",
        "Libellé civilité d'exercice": "Docteur" if code == "10" else "",
        "Nom d'exercice": last_name,
        "Prénom d'exercice": first_name,
        "Code profession": code,
        "Libellé profession": label,
        "Code catégorie professionnelle": "C",
        "Libellé catégorie professionnelle": "Civil",
        "Code type savoir-faire": "S" if skill_code else "",
        "Libellé type savoir-faire": "Spécialité ordinale" if skill_code else "",
        "Code savoir-faire": skill_code,
        "Libellé savoir-faire": skill_label,
        "Code mode exercice": mode[0],
        "Libellé mode exercice": mode[1],
        "Identifiant technique de la structure": site_id,
        "Raison sociale site": "CABINET " + last_name.upper(),
        "Numéro Voie (coord. structure)": number,
        "Libellé Voie (coord. structure)": street,
        "Code postal (coord. structure)": postcode,
        "Code commune (coord. structure)": commune,
        "Libellé commune (coord. structure)": city.upper(),
        "Code pays (coord. structure)": "99000",
        "Libellé pays (coord. structure)": "France",
        "Téléphone (coord. structure)": phone,
        "Adresse e-mail (coord. structure)": email,
    }


def rpps_line(row: dict[str, str], header: list[str]) -> str:
    """One line as the extract writes it: every value, then an extra ``|``."""
    return "|".join(row.get(name, "") for name in header) + "|"


def rpps_file(rows: list[dict[str, str]], *, columns: int = 56, encoding: str = "utf-8") -> bytes:
    header = RPPS_HEADER_56 if columns == 56 else RPPS_HEADER_52
    lines = ["|".join(header) + "|"] + [rpps_line(row, header) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def finess_number(seed: int, departement: str = "75") -> str:
    """A well-formed FINESS (département prefix + 6 digits + Luhn key; Corsica: format only)."""
    if departement in ("2A", "2B"):
        return f"{departement}{seed % 10**7:07d}"
    body = f"{departement[:2]}{seed % 10**6:06d}"
    if not body.isdigit():
        body = "97" + f"{seed % 10**6:06d}"
    return body + luhn.calc_check_digit(body)


def structure_line(
    *,
    finess: str,
    name: str,
    departement: str,
    commune: str,
    postcode: str,
    city: str,
    category: tuple[str, str] = ("500", "E.H.P.A.D"),
    siret: str = "",
    phone: str = "0140000000",
) -> str:
    values = {
        "section": "structureet",
        "nofinesset": finess,
        "nofinessej": finess,
        "rs": name[:38].upper(),
        "rslongue": name,
        "numvoie": "3",
        "typvoie": "AV",
        "voie": "DES TILLEULS",
        "commune": commune,
        "departement": departement,
        "libdepartement": "DEPARTEMENT",
        "ligneacheminement": f"{postcode} {city.upper()}",
        "telephone": phone,
        "categetab": category[0],
        "libcategetab": category[1],
        "siret": siret,
        "dateouv": "2001-01-01",
        "datemaj": "2024-01-01",
    }
    fields = [
        "section", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie",
        "voie", "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement",
        "telephone", "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret",
        "codeape", "codemft", "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj", "numuai",
    ]  # fmt: skip
    return ";".join(values.get(name, "") for name in fields)


def geo_line(finess: str, x: float, y: float, source: str) -> str:
    return f"geolocalisation;{finess};{x};{y};{source};2024-04-10"


def finess_file(structures: list[str], geos: list[str]) -> bytes:
    lines = [f"finess;etalab;{len(structures)};2024-04-10"] + structures + geos
    return ("\n".join(lines) + "\n").encode("cp1252")
