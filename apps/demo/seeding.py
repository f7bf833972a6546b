"""Demo data for `make run`: an operator, two fictional CPTS and a few accounts with roles, then
a living content for each CPTS (territory, directory, news, events, projet de santé, ACI contract,
working group, dues), written through the apps' own services.

Idempotent: running it again changes nothing that exists (each block is guarded by a cheap
existence check). Names are invented; the communes are real (apps/demo/content.py).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from stdnum import luhn

from apps.aci import selectors as aci_selectors
from apps.aci import services as aci
from apps.aci.models import Contract, GridAmount
from apps.directory.codes import FINESS_FAMILIES
from apps.directory.models import Entry
from apps.directory.services import create_entry
from apps.dues.calendar import membership_year, paris_today
from apps.dues.models import Dues, DuesSettings
from apps.dues.renewals import lapse_past_years
from apps.dues.selectors import list_active_tiers
from apps.dues.services import join, record_offline_payment
from apps.events import services as event_services
from apps.events.models import Event
from apps.events.services import create_event, register, update_event
from apps.geo.selectors import get_communes
from apps.health_projects import services as projects
from apps.health_projects.models import ProjectVersion
from apps.members.models import Membership
from apps.members.selectors import get_membership
from apps.members.services import grant_role
from apps.members.standing import is_in_good_standing
from apps.professionals.models import ProfessionalProfile
from apps.professionals.services import save_profile
from apps.roster.models import Slot
from apps.roster.services import add_slot, set_gap_requests
from apps.site.models import EmergencyNumber, NewsItem
from apps.site.pagecache import invalidate_site
from apps.site.services import save_news_item, save_number
from apps.stripe_gateway import client
from apps.stripe_gateway.connect import card_payments_available, start_onboarding
from apps.territory.models import TerritoryCommune
from apps.territory.selectors import get_home_counters
from apps.territory.services import add_communes
from apps.working_groups import services as group_services
from apps.working_groups.models import WorkingGroup
from apps.working_groups.services import create_group, schedule_meeting
from tenants.models import Community
from tenants.provisioning import CommunityRequest, provision_community

from . import content
from .access_care import seed_access_desk
from .campaigns import seed_campaigns

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
        territory_summary="18 communes rurales et périurbaines du Val de Loire, autour de Sully-sur-Loire",
    ),
    CommunityRequest(
        slug="trois-rivieres",
        name="CPTS des Trois Rivières",
        admin_email="bureau@trois-rivieres.test",
        territory_summary="Figeac et sa couronne, entre les vallées du Lot, du Célé et de la Drauze",
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


# How the login list printed by `make run` names each role (the demo CPTS's names start with "CPTS").
ROLE_PHRASES = {
    "admin": "administrateur de la {name}",
    "team": "membre de l'équipe de la {name}",
    "member": "adhérent de la {name}",
}


def describe_roles(person: DemoPerson) -> str:
    """The roles of a demo account in plain French, e.g. « adhérent de la CPTS du Val de Morelle »."""
    names = {request.slug: request.name for request in DEMO_COMMUNITIES}
    return ", ".join(ROLE_PHRASES[role].format(name=names[slug]) for slug, role in person.roles.items())


@functools.cache
def _password_hash() -> str:
    # Hashing costs about a second per call with the production hasher: hash the demo password once.
    return make_password(DEMO_PASSWORD)


def _create_demo_user(email: str, **fields):
    user = get_user_model().objects.create_user(email, None, **fields)
    user.password = _password_hash()
    user.save(update_fields=["password"])
    return user


def seed_demo() -> list[str]:
    """Create what is missing; return a line per thing created."""

    created: list[str] = []
    users = get_user_model().objects
    operator = users.filter(email=OPERATOR_EMAIL).first()
    if operator is None:
        operator = _create_demo_user(
            OPERATOR_EMAIL, first_name="Olivier", last_name="Opérateur", is_operator=True
        )
        created.append(f"opérateur {OPERATOR_EMAIL}")
    for request in DEMO_COMMUNITIES:
        if not Community.objects.filter(schema_name=request.slug).exists():
            provision_community(actor=operator, request=request)
            created.append(f"CPTS {request.slug}")
    for person in DEMO_PEOPLE:
        user = users.filter(email=person.email).first()
        if user is None:
            user = _create_demo_user(person.email, first_name=person.first_name, last_name=person.last_name)
            created.append(f"compte {person.email}")
        for slug, role in person.roles.items():
            with schema_context(slug):
                grant_role(user=user, role=role)
    for request in DEMO_COMMUNITIES:
        with schema_context(request.slug):
            created.extend(f"{request.slug} : {line}" for line in seed_content(request.slug))
    return created


# What the demo accounts do: (profession label, profession code, eligibility category).
DEMO_PRACTICES = {
    "coordination@val-de-morelle.test": ("Coordinatrice de la CPTS", "other", "salaried"),
    "secretariat@val-de-morelle.test": ("Assistante de coordination", "other", "salaried"),
    "dr.martin@val-de-morelle.test": ("Médecin généraliste", "10", "liberal"),
    "bureau@trois-rivieres.test": ("Médecin généraliste", "10", "liberal"),
    "ide.moreau@exemple.test": ("Infirmière", "60", "liberal"),
}
# Professions registered in the RPPS (the others have no number in the directory).
RPPS_PROFESSIONS = {"10", "21", "40", "50", "60", "70", "80", "91"}
MEMBER_RPPS_PREFIX = "1009947"


def demo_practices() -> dict[str, tuple[str, str, str, str]]:
    """e-mail → (label, profession code, eligibility category, RPPS or "") of every demo account."""
    rows = [(email, *practice) for email, practice in DEMO_PRACTICES.items()]
    for members in content.EXTRA_MEMBERS.values():
        rows += [(email, label, code, category) for email, _f, _l, label, code, category in members]
    return {
        email: (
            label,
            code,
            category,
            _luhn_complete(f"{MEMBER_RPPS_PREFIX}{index:03d}") if code in RPPS_PROFESSIONS else "",
        )
        for index, (email, label, code, category) in enumerate(rows, 1)
    }


# --- Content of each demo CPTS (the connection is set to its schema) -------------------------


def seed_content(slug: str) -> list[str]:
    """Fill the current CPTS (``slug``) with demo content; return a line per block created."""

    admin = (
        Membership.objects.filter(role="admin", is_active=True).select_related("user").order_by("pk").first()
    )
    if admin is None:
        return []
    actor = admin.user
    members = _seed_members(slug)
    created = []
    for label, block in (
        ("territoire", _seed_territory),
        ("annuaire", _seed_directory),
        ("actualités", _seed_news),
        ("numéros locaux", _seed_numbers),
        ("groupe de travail", _seed_group),
        ("projet de santé", _seed_project),
        ("contrat ACI", _seed_aci),
        # Before the events: members-only events take members à jour (dues paid) only.
        ("cotisations", _seed_dues),
        ("événements", _seed_events),
        ("événement payant", _seed_paid_event),
        ("campagnes d'e-mails", seed_campaigns),
        ("soins non programmés", _seed_roster),
        # After the ACI contract: the desk adds its access-to-care indicators.
        ("accès aux soins", seed_access_desk),
    ):
        with transaction.atomic():
            if block(slug, actor, members):
                created.append(label)
    if created:
        # Cached public pages (counters) show the new content at once.

        invalidate_site()
    return created


def _seed_members(slug: str) -> list:
    """The extra members of ``slug`` (accounts created if missing), then every active member."""

    users = get_user_model().objects
    for email, first_name, last_name, *_rest in content.EXTRA_MEMBERS[slug]:
        user = users.filter(email=email).first()
        if user is None:
            user = _create_demo_user(email, first_name=first_name, last_name=last_name)
            grant_role(user=user, role="member")
    members = [
        m.user
        for m in Membership.objects.filter(is_active=True).select_related("user").order_by("user__email")
    ]
    practices = demo_practices()
    with_profile = set(ProfessionalProfile.objects.filter(user__in=members).values_list("user_id", flat=True))
    town = get_communes(content.COMMUNES[slug][:1])[content.COMMUNES[slug][0]]
    for user in members:
        if user.pk in with_profile or user.email not in practices:
            continue
        label, code, category, rpps = practices[user.email]
        liberal = category in ("liberal", "replacement")
        save_profile(
            actor=user,
            user=user,
            data={
                "profession": code,
                "identifier_type": "rpps" if rpps else "none",
                "identifier": rpps,
                "practice_mode": "L" if liberal else "S",
                "practice_place": "Cabinet libéral" if liberal else str(content.EMPLOYER[slug]),
                "commune": town.name,
                "postcode": town.postcodes[0] if town.postcodes else "",
            },
        )
    return members


def _luhn_complete(prefix: str) -> str:

    return prefix + luhn.calc_check_digit(prefix)


def _seed_territory(slug, actor, members) -> bool:

    if TerritoryCommune.objects.exists():
        return False
    add_communes(actor=actor, codes=content.COMMUNES[slug])
    return True


def _seed_directory(slug, actor, members) -> bool:
    """~40 professionals and 8 structures, spread over the territory's communes."""

    if Entry.objects.exists():
        return False
    codes = content.COMMUNES[slug]
    communes = get_communes(codes)
    rng = random.Random(slug)  # noqa: S311 - reproducible demo data, not security
    first_names = rng.sample(content.FIRST_NAMES, len(content.FIRST_NAMES))
    last_names = rng.sample(content.LAST_NAMES[slug], len(content.LAST_NAMES[slug]))
    phone_prefix = content.PHONE_PREFIX[slug]

    def place(index: int, number: int, name: str = "") -> dict:
        # Bigger communes get more of the professionals: the first ones of the list are the towns.
        commune = communes[codes[index % len(codes)]]
        return {
            "name": name,
            "address": f"{rng.randint(1, 48)} {content.STREETS[number % len(content.STREETS)]}",
            "postcode": commune.postcodes[0] if commune.postcodes else "",
            "city": commune.name,
            "commune_id": commune.code,
            "phone": f"{phone_prefix} {number // 100 % 100:02d} {number % 100:02d}",
        }

    number = 0
    # Demo accounts in liberal practice are listed too, as members of the CPTS, with their RPPS.
    practices = demo_practices()
    practising = [
        (user, *practices[user.email])
        for user in members
        if user.email in practices and practices[user.email][2] in ("liberal", "replacement")
    ]
    for code, profession, specialty_code, specialty, count, identifier_type in content.PROFESSIONS:
        for _ in range(count):
            number += 1
            first_name, last_name = first_names[number % len(first_names)], last_names[number - 1]
            fields = {
                "kind": "professional",
                "family": "liberal",
                "civility": "",
                "first_name": first_name,
                "last_name": last_name.upper(),
                "name": f"{first_name} {last_name}",
                "profession_code": code,
                "profession": profession,
                "specialty_code": specialty_code,
                "specialty": specialty,
                "practice_mode": "Libéral",
                "accepts_new_patients": rng.random() < 0.4 if code == "10" else None,
                "is_member": rng.random() < 0.5,
            }
            if identifier_type:
                fields |= {
                    "identifier_type": identifier_type,
                    "identifier": _luhn_complete(f"{content.RPPS_PREFIX[slug]}{number:03d}"),
                }
            index = number if rng.random() < 0.5 else 0  # half of them in the main town
            create_entry(actor=actor, fields=fields, place=place(index, 1000 + number))
    for user, label, code, _category, rpps in practising:
        number += 1
        create_entry(
            actor=actor,
            fields={"kind": "professional", "family": "liberal", "first_name": user.first_name,
                    "last_name": user.last_name.upper(), "name": f"{user.first_name} {user.last_name}",
                    "profession_code": code, "profession": label, "practice_mode": "Libéral",
                    "identifier_type": "rpps" if rpps else "", "identifier": rpps, "is_member": True},
            place=place(number, 1000 + number),
        )  # fmt: skip
    for position, (family, category, category_label, name, index) in enumerate(content.STRUCTURES[slug], 1):
        assert FINESS_FAMILIES[category] == family, (category, family)  # noqa: S101 - data sanity
        create_entry(
            actor=actor,
            fields={"kind": "structure", "family": family, "name": name,
                    "finess_category_code": category, "finess_category": category_label,
                    "identifier_type": "finess",
                    "identifier": _luhn_complete(f"{content.FINESS_PREFIX[slug]}{position:03d}"),
                    "is_member": family in ("msp", "health_centre", "pharmacy")},
            place=place(index, 2000 + position, name=name),
        )  # fmt: skip
    return True


def _seed_news(slug, actor, members) -> bool:

    news = content.NEWS[slug]
    if NewsItem.objects.filter(title=news[0][0]).exists():
        return False
    now = timezone.now()
    for title, summary, body, days_ago in news:
        item = NewsItem(
            title=title,
            summary=summary,
            body=body,
            status=NewsItem.Status.PUBLISHED,
            publish_at=now - timedelta(days=days_ago),
        )
        save_news_item(actor=actor, item=item)
    return True


def _seed_numbers(slug, actor, members) -> bool:

    if EmergencyNumber.objects.filter(is_national=False).exists():
        return False
    for position, (suffix, label, description) in enumerate(content.LOCAL_NUMBERS[slug]):
        number = EmergencyNumber(
            category=EmergencyNumber.Category.LOCAL,
            number=f"{content.PHONE_PREFIX[slug]} {suffix}",
            label=label,
            description=description,
            position=position,
        )
        save_number(actor=actor, number=number)
    return True


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _working_day(day: date) -> date:
    """The first Tuesday or Thursday from ``day`` on, outside the year-end holidays."""
    while day.weekday() not in (1, 3) or (day.month, day.day) >= (12, 20) or (day.month, day.day) <= (1, 4):
        day += timedelta(days=1)
    return day


def _seed_group(slug, actor, members) -> bool:
    """A working group with a past meeting (minutes, attendance) and the next one scheduled."""

    name, mission, description = content.GROUP[slug]
    if WorkingGroup.objects.filter(name=name).exists():
        return False
    lead = members[0]
    group = create_group(
        actor=actor,
        data={"name": name, "mission": mission, "description": description, "lead": lead},
        member_ids=[u.pk for u in members[:7]] + [actor.pk],
    )
    today = timezone.localdate()
    past = schedule_meeting(
        actor=actor,
        group=group,
        data={
            "starts_at": _at(today - timedelta(days=17), 20),
            "location": "Visioconférence",
            "agenda": "1. Tour de table des situations rencontrées\n2. Outil de repérage commun\n"
            "3. Calendrier des prochaines étapes",
            "minutes": "Le groupe retient une grille de repérage commune, testée pendant deux mois par "
            "les participants. Prochaine étape : un circuit d'orientation validé avec les médecins.",
            "external_attendees": 2,
        },
    )
    group_ids = [u.pk for u in members[:7]] + [actor.pk]
    group_services.record_attendance(actor=actor, meeting=past, present_user_ids=group_ids[:5])
    schedule_meeting(
        actor=actor,
        group=group,
        data={
            "starts_at": _at(today + timedelta(days=22), 20),
            "location": "Maison de santé, salle de réunion",
            "agenda": "1. Retour sur le test de la grille de repérage\n2. Circuit d'orientation\n"
            "3. Questions diverses",
        },
    )
    return True


def _seed_project(slug, actor, members) -> bool:
    """A validated projet de santé: an axis per socle mission, two actions on each."""

    if ProjectVersion.objects.exists():
        return False
    data = content.PROJECT[slug]
    year = timezone.localdate().year
    version = projects.create_version(actor=actor, title=f"Projet de santé {year - 1}-{year + 3}")
    projects.update_version(
        actor=actor,
        version=version,
        title=version.title,
        summary=data["summary"],
        diagnosis=data["diagnosis"],
    )
    group = WorkingGroup.objects.filter(name=content.GROUP[slug][0]).first()
    for default_axis in list(version.axes.all()):
        # The axes created with the version carry the mission's name only: replace them by ours.
        title, description = data["axes"][default_axis.mission]
        projects.delete_axis(actor=actor, axis=default_axis)
        axis = projects.add_axis(
            actor=actor, version=version, mission=default_axis.mission, title=title, description=description
        )
        for title, status, budget in data["actions"][axis.mission]:
            fields = {"title": title, "status": status, "budget": Decimal(budget), "owner": actor}
            if status != "planned":
                fields["start_date"] = date(year - 1, 9, 1)
            if status == "done":
                fields["end_date"] = date(year, 3, 31)
            if group is not None and axis.mission == group.mission and status == "in_progress":
                fields["working_group"] = group
            projects.add_action(actor=actor, axis=axis, data=fields)
    projects.submit_version(actor=actor, version=version)
    projects.validate_version(
        actor=actor,
        version=version,
        validated_on=date(year - 1, 6, 20),
        validating_bodies="ARS Centre-Val de Loire, CPAM du Loiret"
        if slug == "val-de-morelle"
        else "ARS Occitanie, CPAM du Lot",
    )
    return True


def _seed_aci(slug, actor, members) -> bool:
    """The ACI contract signed last year, this year's funding lines (the grid's amounts for the
    territory's size), the advance received and some spending."""

    if Contract.objects.exists():
        return False
    today = timezone.localdate()
    signed_on = date(today.year - 1, 9, 15)
    grid = aci_selectors.grid_for(signed_on)
    if grid is None:
        return False
    optional = ["quality"] if slug == "trois-rivieres" else []
    contract = aci.create_contract(
        actor=actor,
        signed_on=signed_on,
        grid=grid,
        optional_missions=optional,
        reference=f"ACI-{slug.upper()}-{today.year - 1}",
    )
    # The missions started so far (and the crisis plan, fully deployed), as a team records them.
    progress = {"access": (70, 400), "crisis": (90, 280), "pathways": (240, None), "prevention": (330, None)}
    for mission in contract.missions.all():
        started, deployed = progress.get(mission.mission, (None, None))
        dates = {}
        if started is not None and signed_on + timedelta(days=started) <= today:
            dates["started_on"] = signed_on + timedelta(days=started)
            if deployed is not None and signed_on + timedelta(days=deployed) <= today:
                dates["deployed_on"] = signed_on + timedelta(days=deployed)
        if dates:
            aci.update_mission(actor=actor, mission=mission, data=dates)
    envelopes = {"operating", *contract.missions.values_list("mission", flat=True)}
    size = get_home_counters().aci_size or 1
    operating = Decimal(0)
    for row in GridAmount.objects.filter(grid=grid, size=size, envelope__in=envelopes).exclude(
        part="variable"
    ):
        aci.set_funding_line(
            actor=actor,
            contract=contract,
            year=today.year,
            envelope=row.envelope,
            part=row.part,
            contracted_amount=row.annual_amount,
        )
        if row.envelope == "operating":
            operating += row.annual_amount
    if operating:
        aci.record_payment(
            actor=actor,
            contract=contract,
            received_on=date(today.year, 4, 15) if today >= date(today.year, 4, 15) else today,
            amount=(operating * Decimal("0.75")).quantize(Decimal("0.01")),
            envelope="operating",
            part="operating",
            label="Avance de 75 % sur le fonctionnement",
        )
    for days_ago, amount, envelope, label, supplier in content.SPENDINGS:
        aci.record_spending(
            actor=actor,
            spent_on=today - timedelta(days=days_ago),
            amount=Decimal(amount),
            envelope=envelope if envelope in envelopes else "operating",
            label=label,
            supplier=supplier,
        )
    return True


def _seed_events(slug, actor, members) -> bool:
    """Four upcoming events (one full, with a waiting list) and a past one with its attendance."""

    events = content.EVENTS[slug]
    if Event.objects.filter(title=events[0][0]).exists():
        return False
    # The lapsed member no longer registers to members-only events.
    members = [user for user in members if is_in_good_standing(get_membership(user))]
    today = timezone.localdate()
    for title, kind, visibility, days, hours, location, description, registrations in events:
        starts_at = _at(_working_day(today + timedelta(days=days)), 9 if hours > 4 else 19)
        capacity = len(members) - 2 if registrations == "all" else max(20, 10 * hours)
        event = create_event(
            actor=actor,
            data={"title": title, "kind": kind, "visibility": visibility, "location": location,
                  "description": description, "starts_at": starts_at,
                  "ends_at": starts_at + timedelta(hours=hours), "capacity": capacity},
        )  # fmt: skip
        people = members if registrations == "all" else members[-registrations:]
        for user in people:
            register(actor=user, event=event)
    # A past event: registrations are taken while it is upcoming, then it is moved to its date.
    title, kind, days_ago, location, description = content.PAST_EVENT[slug]
    soon = _at(today + timedelta(days=1), 19)
    event = create_event(
        actor=actor,
        data={"title": title, "kind": kind, "visibility": "members", "location": location,
              "description": description, "starts_at": soon, "ends_at": soon + timedelta(hours=2),
              "capacity": 25, "reminder_hours_before": 0},
    )  # fmt: skip
    attendees = members[:9]
    for user in attendees:
        register(actor=user, event=event)
    starts_at = _at(_working_day(today - timedelta(days=days_ago)), 19)
    event = update_event(
        actor=actor, event=event, data={"starts_at": starts_at, "ends_at": starts_at + timedelta(hours=2)}
    )
    event_services.record_attendance(actor=actor, event=event, present={str(u.pk) for u in attendees[:7]})
    return True


def _seed_paid_event(slug, actor, members) -> bool:
    """A paid event, open for registration, once the CPTS can take cards: with localstripe the
    team's Stripe connection is simulated as the team's button would (apps.stripe_gateway.connect)."""

    title, kind, visibility, days, hours, price, location, description = content.PAID_EVENT[slug]
    if Event.objects.filter(title=title).exists() or not client.is_embedded():
        return False
    community = Community.objects.get(schema_name=connection.schema_name)
    start_onboarding(actor=actor, community=community, refresh_url="/", return_url="/")
    if not card_payments_available(community):
        return False
    starts_at = _at(_working_day(timezone.localdate() + timedelta(days=days)), 9)
    create_event(
        actor=actor,
        data={"title": title, "kind": kind, "visibility": visibility, "location": location,
              "description": description, "starts_at": starts_at,
              "ends_at": starts_at + timedelta(hours=hours), "capacity": 16, "price": Decimal(price)},
    )  # fmt: skip
    return True


def _seed_dues(slug, actor, members) -> bool:
    """This year's dues paid offline by every member but one, whose dues lapsed last year."""

    if Dues.objects.exists():
        return False
    year = membership_year(DuesSettings.load())
    tiers = list(list_active_tiers())
    if not tiers:
        return False
    categories = {email: practice[2] for email, practice in demo_practices().items()}
    lapsed = content.LAPSED_MEMBER[slug]
    for index, user in enumerate(members):
        category = categories.get(user.email, "liberal")
        tier = tiers[index % len(tiers)] if tiers[index % len(tiers)].accepts(category) else tiers[0]
        paid_year = year - 1 if user.email == lapsed else year
        dues = join(actor=user, tier=tier, eligibility_category=category, consent=True, year=paid_year)
        method = ("cheque", "transfer", "cash")[index % 3]
        record_offline_payment(
            actor=actor,
            dues=dues,
            method=method,
            reference=f"CHQ {4501200 + index}" if method == "cheque" else "",
            paid_at=timezone.now() - timedelta(days=400 if paid_year < year else 30 + index * 5),
        )
    # What the year-end run does: last year's dues are no longer active.
    lapse_past_years(paris_today())
    return True


def _seed_roster(slug, actor, members) -> bool:
    """A week of soins-non-programmés slots by the professionals of the demo, leaving gaps to see:
    weekday slots at their practices, a Saturday morning at a shared site, two volunteers."""
    if Slot.objects.exists():
        return False
    in_good_standing = {
        m.user_id for m in Membership.objects.filter(is_active=True) if is_in_good_standing(m)
    }
    professionals = [
        user
        for user in members
        if user.pk in in_good_standing and ProfessionalProfile.objects.filter(user=user).exists()
    ][:5]
    if not professionals:
        return False
    communes = list(get_communes(content.COMMUNES[slug][:3]).values())
    today = timezone.localdate()
    for index, user in enumerate(professionals):
        commune = communes[index % len(communes)]
        add_slot(
            actor=user,
            data={
                "kind": Slot.Kind.SNP, "place": Slot.Place.PRACTICE, "place_name": f"Cabinet de {user.last_name}",
                "address": f"{3 + index} place de la Mairie", "commune": commune, "phone": f"04 77 10 20 3{index}",
                "weekday": index % 5, "starts_at": time(17, 0), "ends_at": time(19, 0),
                "valid_from": today - timedelta(days=today.weekday()),
            },
        )  # fmt: skip
    add_slot(
        actor=professionals[0],
        data={
            "kind": Slot.Kind.ON_CALL, "place": Slot.Place.SHARED, "place_name": "Maison médicale de garde",
            "address": "1 rue de l'Hôpital", "commune": communes[0], "phone": "04 77 99 00 00",
            "instructions": "Appeler avant de venir", "weekday": 5, "starts_at": time(9, 0), "ends_at": time(13, 0),
            "valid_from": today - timedelta(days=today.weekday()),
        },
    )  # fmt: skip
    for user in professionals[:2]:
        set_gap_requests(actor=user, accepts=True)
    return True
