"""The demo's médecin-traitant desk (Val de Morelle only): the module on (the dev settings declare
HDS hosting: every name here is invented), the coordinator and the admin allowed, two GP members
with places this quarter, thirty requests at every stage over the last months, and the ACI's
access-to-care indicators computed from them.

GPs are ranked by the real distances between commune centres: the shipped reference
(``apps/geo/data/centres.csv.gz``) is loaded with the communes by ``migrate_platform``."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.access_care import selectors as desk_selectors
from apps.access_care import services as desk
from apps.access_care.models import DeskPermission, PatientRequest
from apps.aci import services as aci
from apps.aci.models import Indicator
from apps.members.models import Membership

from . import content

GPS = {
    # e-mail: (places this quarter, practice commune, practice, phone)
    "dr.martin@val-de-morelle.test": (
        12,
        "45315",
        "Maison de santé du Val, 12 rue du Port, Sully-sur-Loire",
        "02 38 36 00 01",
    ),
    "h.rigal@val-de-morelle.test": (
        8,
        "45244",
        "Cabinet médical, 3 place de l'Église, Ouzouer-sur-Loire",
        "02 38 35 00 02",
    ),
}
LAST_NAMES = [
    "Bertin", "Charpentier", "Delaunay", "Faure", "Gilbert", "Hervé", "Jacquet", "Leclerc", "Marchand",
    "Noël", "Olivier", "Poirier", "Renaud", "Sauvage", "Tessier", "Vidal", "Aubert", "Barre", "Collin",
    "Dumont", "Étienne", "Fleury", "Guérin", "Huet", "Lacroix", "Mallet", "Navarro", "Perret", "Rolland", "Simon",
]  # fmt: skip
FIRST_NAMES = ["Jeanne", "Marcel", "Odette", "Louis", "Chantal", "Kévin", "Nadia", "Paul", "Lucie", "Gérard"]
INDICATORS = [
    (Indicator.Source.ACCESS_REQUESTS, "Demandes de médecin traitant reçues", "demandes"),
    (Indicator.Source.ACCESS_FOUND, "Patients ayant trouvé un médecin traitant", "patients"),
    (
        Indicator.Source.ACCESS_FOUND_PRIORITY,
        "Patients prioritaires ayant trouvé un médecin traitant",
        "patients",
    ),
    (Indicator.Source.ACCESS_MEDIAN_DAYS, "Délai médian d'attente", "jours"),
    (Indicator.Source.ACCESS_PENDING, "Demandes en attente", "demandes"),
]


def seed_access_desk(slug: str, actor, members) -> bool:
    """Fill the desk of ``slug`` once (Val de Morelle; nothing without declared HDS hosting)."""
    if slug != "val-de-morelle" or not settings.HDS_HOSTING or PatientRequest.objects.exists():
        return False
    desk.set_enabled(operator_email="operateur@plateforme.test", enabled=True)
    staff = Membership.objects.filter(is_active=True, role__in=["team", "admin"]).select_related("user")
    for membership in staff:
        DeskPermission.objects.get_or_create(user=membership.user, defaults={"granted_by": actor})
    coordinator = next((m.user for m in staff if m.role == "team"), actor)
    users = get_user_model().objects
    gps = []
    for email, (places, commune, practice, phone) in GPS.items():
        gp = users.filter(email=email).first()
        if gp is None or not desk.is_gp(gp):
            continue
        desk.declare_capacity(
            actor=gp, places=places, groups=[], communes=[], practice_commune=commune,
            practice_name=practice, practice_phone=phone,
        )  # fmt: skip
        gps.append(gp)
    rng = random.Random(13)  # noqa: S311 - demo data, reproducible
    communes = content.COMMUNES[slug]
    now = timezone.now()
    today = timezone.localdate()
    requests = []
    for index in range(30):
        age = rng.choice([8, 24, 35, 47, 62, 71, 76, 83, 88])
        criteria = [
            c
            for c in ("ald", "c2s", "pregnancy", "disability", "gp_left", "mobility")
            if rng.random() < 0.22 and (c != "pregnancy" or 18 <= age <= 45)
        ]
        data = desk.RequestData(
            last_name=LAST_NAMES[index],
            first_name=FIRST_NAMES[index % len(FIRST_NAMES)],
            birth_date=date(today.year - age, 1 + index % 12, 1 + index % 27),
            commune=communes[index % len(communes)],
            phone=f"06 {10 + index:02d} 45 67 {index:02d}",
            email=f"{LAST_NAMES[index].lower().replace('é', 'e').replace('ë', 'e')}@exemple.test",
            criteria=tuple(criteria),
            contact_by="email" if index % 4 else "letter",
            address=f"{index + 1} rue des Écoles" if index % 4 == 0 else "",
        )
        request = desk.record_request(actor=coordinator, data=data, channel="phone", consent=True)
        PatientRequest.objects.filter(pk=request.pk).update(created_at=now - timedelta(days=150 - 5 * index))
        request.refresh_from_db()
        requests.append(request)
    # The older half went through the desk: qualified, proposed, most accepted by a GP.
    for index, request in enumerate(requests[:14]):
        desk.change_status(actor=coordinator, request=request, to_status="qualified")
        if not gps or index % 7 == 6:
            desk.change_status(actor=coordinator, request=request, to_status="unreachable")
            continue
        gp = gps[index % len(gps)]
        if desk_selectors.get_capacity(gp).left <= 0:
            gp = gps[0]
        if desk_selectors.get_capacity(gp).left <= 0:
            continue
        proposal = desk.propose(actor=coordinator, request=request, gp=gp)
        desk.answer_proposal(actor=gp, proposal=proposal, accept=index % 5 != 4)
        accepted = PatientRequest.objects.get(pk=request.pk)
        if accepted.found_at:
            waited = timedelta(days=12 + (index * 7) % 40)
            PatientRequest.objects.filter(pk=request.pk).update(found_at=accepted.created_at + waited)
    for request in requests[14:20]:
        desk.change_status(actor=coordinator, request=request, to_status="qualified")
    # A duplicate: the same person called again.
    first = requests[-1]
    desk.record_request(
        actor=coordinator,
        data=desk.RequestData(
            last_name=first.last_name, first_name=first.first_name, birth_date=first.birth_date,
            commune=first.commune, phone="07 00 00 00 00", criteria=tuple(first.criteria),
        ),
        channel="desk",
        consent=True,
    )  # fmt: skip
    for position, (source, label, unit) in enumerate(INDICATORS, start=50):
        aci.create_indicator(
            actor=actor,
            data={
                "label": label, "mission": "access", "nature": "result", "unit": unit, "source": source,
                "aggregation": "last" if source in (Indicator.Source.ACCESS_MEDIAN_DAYS, Indicator.Source.ACCESS_PENDING) else "sum",
                "position": position,
            },
        )  # fmt: skip
    aci.refresh_computed_values(year=today.year)
    return True
