"""The whole path of a new CPTS in Chromium, counting what people click and type: the operator
opens the CPTS from the console, the coordinator accepts the invitation and follows « Premiers
pas » (identity, territory by EPCI, directory from the held national extract, tiers, Stripe, first
news, publication), then a health professional joins and pays by card (localstripe).

Prints the interactions each person needed; the opening of the CPTS (operator and coordinator)
must take at most 25. Skipped without Chromium."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context
from PIL import Image

from apps.directory.models import Entry
from apps.dues.models import Dues, Tier
from apps.professionals.models import AccountCommunity, ProfessionalProfile
from apps.site.models import NewsItem
from apps.stripe_gateway.models import ConnectedAccount, StripeRoute, WebhookEvent
from apps.territory.models import TerritoryCommune
from tenants.models import Community, Domain
from tests.accounts.test_two_factor import current_code
from tests.conftest import PASSWORD, wait_until
from tests.dues.browser.conftest import in_browser  # noqa: F401 - fixture
from tests.dues.conftest import PROFILE, webhook_server  # noqa: F401 - fixture
from tests.factories.accounts import signup_link_path
from tests.factories.directory_files import rpps_file, rpps_number, rpps_row

SLUG = "cpts-du-scorff"
COORDINATOR = "coordination@scorff.test"
MEMBER = "gwen.scorff@test.fr"
LORIENT = dict(commune="56121", postcode="56100", city="Lorient")
LANESTER = dict(commune="56098", postcode="56600", city="Lanester")
INVITATION_LINK = re.compile(r"https?://[^/\s]+(/invitation/[^/\s]+/)")
OPENING_GOAL = 25


@dataclass
class Counter:
    """Playwright actions that a person does, labelled by who does them."""

    page: object
    who: str = ""
    done: list[tuple[str, str, str]] = field(default_factory=list)

    def _count(self, kind: str, what: str) -> None:
        self.done.append((self.who, kind, what))

    def visit(self, url: str, what: str) -> None:
        self._count("lien", what)
        self.page.goto(url)

    def click(self, selector: str) -> None:
        self._count("clic", selector)
        self.page.click(selector)

    def fill(self, selector: str, value: str) -> None:
        self._count("champ", selector)
        self.page.fill(selector, value)

    def type(self, selector: str, value: str) -> None:
        self._count("champ", selector)
        self.page.locator(selector).press_sequentially(value, delay=20)

    def check(self, selector: str) -> None:
        self._count("clic", selector)
        self.page.locator(selector).first.check()

    def select(self, selector: str, value: str) -> None:
        self._count("champ", selector)
        self.page.select_option(selector, value)

    def upload(self, selector: str, path: str) -> None:
        self._count("fichier", selector)
        self.page.set_input_files(selector, path)

    def count(self, *people: str) -> int:
        return sum(1 for who, _kind, _what in self.done if who in people)

    def report(self) -> str:
        lines = []
        for who in dict.fromkeys(w for w, _k, _x in self.done):
            mine = [(k, x) for w, k, x in self.done if w == who]
            kinds = {k: sum(1 for kk, _ in mine if kk == k) for k in dict.fromkeys(k for k, _ in mine)}
            lines.append(f"{who}: {len(mine)} ({', '.join(f'{n} {k}' for k, n in kinds.items())})")
            lines += [f"    {k:7} {x}" for k, x in mine]
        return "\n".join(lines)


def _shoot(page, folder: Path, name: str) -> list[str]:
    """Full-page screenshots at 1366 and 390 px (looked at when the screens change); returns the
    widths at which the page overflows horizontally."""
    overflows = []
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
        if page.evaluate("document.documentElement.scrollWidth") > width:
            overflows.append(f"{name} at {width}px")
    page.set_viewport_size({"width": 1366, "height": 900})
    return overflows


def _link_in_mail(pattern: re.Pattern, to: str) -> str:
    for message in reversed(mail.outbox):
        if message.to == [to] and (match := pattern.search(message.body)):
            return match.group(1)
    raise AssertionError(f"no link was sent to {to}")


def _cleanup(operator) -> None:
    connection.set_schema_to_public()
    community = Community.objects.filter(schema_name=SLUG).first()
    users = get_user_model().objects.filter(email__in=[COORDINATOR, MEMBER])
    if community is not None:
        WebhookEvent.objects.filter(community=community).delete()
        StripeRoute.objects.filter(community=community).delete()
        ConnectedAccount.objects.filter(community=community).delete()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{SLUG}" CASCADE')
        AccountCommunity.objects.filter(community=community).delete()
        Domain.objects.filter(tenant=community).delete()
        Community.objects.filter(pk=community.pk)._raw_delete(using="default")
    AccountCommunity.objects.filter(user__in=users).delete()
    ProfessionalProfile.objects.filter(user__in=users).delete()
    users._raw_delete(using="default")
    TOTPDevice.objects.filter(user=operator).delete()


def test_a_new_cpts_opens_in_at_most_25_interactions_and_a_member_joins_and_pays(
    world,
    webhook_server,  # noqa: F811
    in_browser,  # noqa: F811
    django_db_blocker,
    settings,
    tmp_path,
    capsys,  # noqa: F811
):
    settings.NATIONAL_EXTRACTS_DIR = str(tmp_path / "national")
    (tmp_path / "national").mkdir()
    (tmp_path / "national" / "rpps.txt").write_bytes(
        rpps_file(
            [
                rpps_row(rpps=rpps_number(801), last_name="Le Gall", first_name="Maëlle", **LORIENT),
                rpps_row(rpps=rpps_number(802), last_name="Tanguy", first_name="Yann", **LANESTER),
            ]
        )
    )
    logo = tmp_path / "logo.png"
    Image.new("RGB", (240, 120), "#0b5fa5").save(logo)
    shots = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path / "screenshots") / "first-steps"
    shots.mkdir(parents=True, exist_ok=True)
    overflows: list[str] = []
    platform = webhook_server
    site = webhook_server.replace("://localhost", f"://{SLUG}.localhost")
    with django_db_blocker.unblock():
        _cleanup(world.operator)
        device = TOTPDevice.objects.create(user=world.operator, name="téléphone", confirmed=True)
        try:

            def steps(page):
                act = Counter(page)
                act.who = "opérateur"
                act.visit(f"{platform}/console/", "console")
                act.fill("#id_username", world.operator.email)
                act.fill("#id_password", PASSWORD)
                act.click("main button[type=submit]")
                act.fill("#id_token", current_code(device))
                act.click("main button[type=submit]")
                act.fill("#id_name", "CPTS du Scorff")
                # The sub-domain is deduced from the name (cpts-du-scorff).
                act.fill("#id_admin_email", COORDINATOR)
                act.click("text=Créer la CPTS")
                page.wait_for_selector("text=son administrateur a reçu une invitation")

                act.who = "coordinatrice"
                act.visit(
                    f"{site}{_link_in_mail(INVITATION_LINK, COORDINATOR)}", "lien de l'invitation (e-mail)"
                )
                act.fill("#id_first_name", "Nolwenn")
                act.fill("#id_last_name", "Coordinatrice")
                act.fill("#id_password1", PASSWORD)
                act.fill("#id_password2", PASSWORD)
                act.click("text=Accepter l'invitation")
                # She lands on the first step.
                # Identity: the logo; the contact address is prefilled.
                overflows.extend(_shoot(page, shots, "1-identity"))
                act.upload("#id_logo_file", str(logo))
                act.click("text=Enregistrer et continuer")
                errors = [t for t in page.locator(".errorlist").all_inner_texts() if t.strip()]
                assert errors == [], errors
                # Territory: a whole EPCI, no reload.
                act.type("#territory-q", "Lorient")
                act.click("button[name=epci][value='200042174']")
                page.wait_for_selector("#territory-picked >> text=25 communes")
                overflows.extend(_shoot(page, shots, "2-territory"))
                act.click("text=Enregistrer le territoire et continuer")
                # Directory: filled from the held national extract.
                page.wait_for_selector("text=professionnels et structures de votre territoire")
                overflows.extend(_shoot(page, shots, "3-directory"))
                act.click("main form button[type=submit]")
                # Tiers: prefilled, accepted as they are.
                overflows.extend(_shoot(page, shots, "4-tiers"))
                act.click("text=Valider les formules et continuer")
                overflows.extend(_shoot(page, shots, "5-stripe"))
                act.click("text=Connecter Stripe")
                overflows.extend(_shoot(page, shots, "6-news"))
                # First news: prefilled.
                act.click("text=Publier et continuer")
                overflows.extend(_shoot(page, shots, "7-publish"))
                act.click("text=Mettre le site en ligne")
                page.wait_for_selector("text=Votre site est en ligne")
                page.wait_for_selector("text=7 étapes sur 7 terminées")
                overflows.extend(_shoot(page, shots, "8-done"))
                page.goto(f"{site}/")
                overflows.extend(_shoot(page, shots, "9-public-home"))

                # The member uses her own browser (the coordinator stays signed in on hers).
                act.who = "adhérente"
                page = page.context.browser.new_context(
                    locale="fr-FR", viewport={"width": 390, "height": 844}
                ).new_page()
                page.set_default_timeout(15_000)
                act.page = page
                act.visit(f"{site}/adhesion/compte/", "page d'adhésion")
                act.fill("#id_email-email", MEMBER)
                act.click("main button[type=submit]")
                page.wait_for_selector("text=Nous avons écrit à")
                act.visit(f"{site}{signup_link_path(MEMBER)}", "lien de création du compte (e-mail)")
                act.fill("#id_first_name", "Gwen")
                act.fill("#id_last_name", "Sage-femme")
                act.fill("#id_password1", PASSWORD)
                act.fill("#id_password2", PASSWORD)
                act.click("main button[type=submit]")
                page.wait_for_url(f"{site}/adhesion/")
                for name, value in PROFILE.items():
                    selector = f"[name={name}]"
                    if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
                        act.select(selector, value)
                    else:
                        act.fill(selector, value)
                act.check("input[name=join-eligibility_category][value=liberal]")
                act.check("input[name=join-tier]")
                act.check("input[name=join-consent]")
                act.click("main button[type=submit]")
                page.wait_for_url(re.compile(r".*/cotisation/\d+/paiement/$"))
                page.wait_for_selector("#card-element input[placeholder=number]")
                act.fill("#card-element input[placeholder=number]", "4242424242424242")
                act.fill("#card-element input[placeholder=exp_month]", "12")
                act.fill("#card-element input[placeholder=exp_year]", "34")
                act.fill("#card-element input[placeholder=cvc]", "123")
                act.fill("#card-element input[placeholder=postal_code]", "56100")
                act.click("#card-submit")
                page.wait_for_selector("text=Paiement confirmé", timeout=30_000)
                return act

            act = in_browser(steps)
            with schema_context(SLUG):
                paid = wait_until(
                    lambda: Dues.objects.filter(membership__user__email=MEMBER, status="active").first(),
                    timeout=10,
                )
                territory = TerritoryCommune.objects.count()
                entries = sorted(Entry.objects.values_list("last_name", flat=True))
                tiers = Tier.objects.filter(is_active=True).count()
                news = NewsItem.objects.filter(status="published").count()
            connection.set_schema_to_public()
            community = Community.objects.get(schema_name=SLUG)
            connected = ConnectedAccount.objects.get(community=community)
        finally:
            _cleanup(world.operator)
    opening = act.count("opérateur", "coordinatrice")
    with capsys.disabled():
        print(f"\nOuverture d'une CPTS : {opening} interactions (objectif ≤ {OPENING_GOAL})")
        print(act.report())
    assert territory == 25
    assert entries == ["Le Gall", "Tanguy"]
    assert tiers >= 1 and news == 1
    assert connected.charges_enabled and community.stripe_account_id == connected.account_id
    assert paid is not None and paid.amount > 0
    assert opening <= OPENING_GOAL
    assert overflows == []
