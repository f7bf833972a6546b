"""Demo content for the projet de santé, ACI cockpit, working groups and events of every active
CPTS (idempotent: a CPTS that already has an ACI contract is left alone)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Community


def seed(community) -> str:
    from apps.aci import selectors as aci_selectors
    from apps.aci import services as aci
    from apps.aci.models import Contract
    from apps.events.models import Event
    from apps.health_projects import services as projects
    from apps.members.models import Membership
    from apps.working_groups import services as groups
    from apps.working_groups.models import Meeting

    if Contract.objects.exists():
        return "déjà présent"
    admin = Membership.objects.filter(role="admin", is_active=True).select_related("user").first()
    if admin is None:
        return "aucun administrateur"
    actor, year = admin.user, timezone.localdate().year
    with transaction.atomic():
        signed = date(year - 1, 3, 15)
        contract = aci.create_contract(
            actor=actor, signed_on=signed, grid=aci_selectors.grid_for(signed), optional_missions=["quality"]
        )
        for envelope, part, amount in (("operating", "operating", 105000), ("access", "fixed", 30000)):
            aci.set_funding_line(
                actor=actor,
                contract=contract,
                year=year,
                envelope=envelope,
                part=part,
                contracted_amount=Decimal(amount),
            )
        aci.record_payment(
            actor=actor,
            contract=contract,
            received_on=date(year, 2, 10),
            amount=Decimal(78750),
            envelope="operating",
            part="operating",
        )
        aci.record_spending(
            actor=actor,
            spent_on=date(year, 2, 28),
            amount=Decimal("4200"),
            envelope="operating",
            label="Coordination (février)",
        )
        group = groups.create_group(
            actor=actor,
            data={"name": "Soins non programmés", "mission": "access", "lead": actor},
            member_ids=[actor.pk],
        )
        for offset in range(1, 12, 2):
            Meeting.objects.create(
                group=group, starts_at=timezone.make_aware(datetime(year - 1, offset, 12, 19))
            )
        for offset in range(1, max(2, timezone.localdate().month), 3):
            Meeting.objects.create(group=group, starts_at=timezone.make_aware(datetime(year, offset, 12, 19)))
        meetings = aci.create_indicator(
            actor=actor,
            data={"label": "Réunions de groupes de travail", "source": "meetings_held", "unit": "réunions"},
        )
        oriented = aci.create_indicator(
            actor=actor,
            data={
                "label": "Patients orientés vers un médecin traitant",
                "nature": "result",
                "mission": "access",
                "unit": "patients",
            },
        )
        for target_year in (year - 1, year):
            aci.set_target(actor=actor, indicator=meetings, year=target_year, target=Decimal(8))
            aci.set_target(actor=actor, indicator=oriented, year=target_year, target=Decimal(120))
            aci.refresh_computed_values(year=target_year)
        aci.record_value(
            actor=actor,
            indicator=oriented,
            period_start=date(year - 1, 1, 1),
            period_end=date(year - 1, 12, 31),
            value=Decimal(97),
        )
        aci.record_value(
            actor=actor,
            indicator=oriented,
            period_start=date(year, 1, 1),
            period_end=date(year, 6, 30),
            value=Decimal(64),
        )
        version = projects.create_version(actor=actor, title=f"Projet de santé {year - 1}-{year + 4}")
        projects.update_version(
            actor=actor,
            version=version,
            title=version.title,
            summary="Un médecin traitant pour chaque habitant, une réponse aux soins non programmés en moins de 48 heures, "
            "des parcours mieux coordonnés entre la ville et l'hôpital.",
            diagnosis="",
        )
        projects.add_action(
            actor=actor,
            axis=version.axes.get(mission="access"),
            data={"title": "Cellule d'orientation des soins non programmés", "status": "in_progress", "working_group": group,
                  "budget": Decimal(15000), "owner": actor},
        )  # fmt: skip
        projects.submit_version(actor=actor, version=version)
        projects.validate_version(
            actor=actor, version=version, validated_on=date(year - 1, 6, 1), validating_bodies="ARS, CPAM"
        )
        start = timezone.now().replace(hour=19, minute=0, second=0, microsecond=0) + timedelta(days=10)
        Event.objects.create(
            title="Soirée conviviale des professionnels", kind="evening", starts_at=start, ends_at=start + timedelta(hours=3),
            visibility="public", capacity=40, location="Salle des fêtes", created_by=actor,
        )  # fmt: skip
        Event.objects.create(
            title="Formation : repérage de la fragilité", kind="training", starts_at=start + timedelta(days=14),
            ends_at=start + timedelta(days=14, hours=2), visibility="members", capacity=12, created_by=actor,
        )  # fmt: skip
    return "créé"


class Command(BaseCommand):
    help = (
        "Contenu de démonstration : projet de santé, contrat ACI, indicateurs, groupe de travail, événements."
    )

    def handle(self, *args, **options):
        for community in Community.objects.filter(status="active").exclude(schema_name="public"):
            with schema_context(community.schema_name):
                self.stdout.write(f"  {community.name} : {seed(community)}")
