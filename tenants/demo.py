"""Demo data for `make run`: an operator, two fictional CPTS and a few accounts with roles.

Idempotent: running it again changes nothing that exists. Names and places are invented.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from .models import Community
from .provisioning import CommunityRequest, provision_community

DEMO_PASSWORD = "demo-cpts-2026"  # noqa: S105 - demo accounts only, printed by `make run`
OPERATOR_EMAIL = "operateur@plateforme-cpts.test"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    first_name: str
    last_name: str
    roles: dict[str, str]


DEMO_COMMUNITIES = [
    CommunityRequest(
        slug="val-de-morelle",
        name="CPTS du Val de Morelle",
        admin_email="coordination@val-de-morelle.test",
        territory_summary="18 communes rurales et périurbaines autour de Morelle-sur-Loire",
    ),
    CommunityRequest(
        slug="trois-rivieres",
        name="CPTS des Trois Rivières",
        admin_email="bureau@trois-rivieres.test",
        territory_summary="Une ville moyenne et sa couronne, entre trois vallées",
    ),
]

DEMO_PEOPLE = [
    DemoPerson("coordination@val-de-morelle.test", "Camille", "Lefèvre", {"val-de-morelle": "admin"}),
    DemoPerson("secretariat@val-de-morelle.test", "Inès", "Barbier", {"val-de-morelle": "team"}),
    DemoPerson("dr.martin@val-de-morelle.test", "Julien", "Martin", {"val-de-morelle": "member"}),
    DemoPerson("bureau@trois-rivieres.test", "Nadia", "Roussel", {"trois-rivieres": "admin"}),
    # One account, two territories: a nurse practising on both sides of the boundary.
    DemoPerson(
        "ide.moreau@exemple.test", "Sophie", "Moreau", {"val-de-morelle": "member", "trois-rivieres": "team"}
    ),
]


def seed_demo() -> list[str]:
    """Create what is missing; return a line per thing created."""
    from apps.members.services import grant_role

    created: list[str] = []
    users = get_user_model().objects
    operator = users.filter(email=OPERATOR_EMAIL).first()
    if operator is None:
        operator = users.create_user(
            OPERATOR_EMAIL, DEMO_PASSWORD, first_name="Olivier", last_name="Opérateur", is_operator=True
        )
        created.append(f"opérateur {OPERATOR_EMAIL}")
    for request in DEMO_COMMUNITIES:
        if not Community.objects.filter(schema_name=request.slug).exists():
            provision_community(actor=operator, request=request)
            created.append(f"CPTS {request.slug}")
    for person in DEMO_PEOPLE:
        user = users.filter(email=person.email).first()
        if user is None:
            user = users.create_user(
                person.email, DEMO_PASSWORD, first_name=person.first_name, last_name=person.last_name
            )
            created.append(f"compte {person.email}")
        for slug, role in person.roles.items():
            with schema_context(slug):
                grant_role(user=user, role=role)
    return created
