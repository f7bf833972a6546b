"""Reads of the first steps: which are done, which comes next. Assumes the connection is set to the
CPTS's schema."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from apps.directory.models import Entry, ImportRun
from apps.dues.models import Tier
from apps.site.models import NewsItem
from apps.stripe_gateway.connect import card_payments_available
from apps.territory.models import TerritoryCommune
from tenants.selectors import current_community

from .models import CompletedStep


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    summary: str


STEPS: tuple[Step, ...] = (
    Step("identity", _("Identité et logo"), _("Le logo, l'accroche et la couleur de votre site.")),
    Step("territory", _("Territoire"), _("Les communes couvertes, une à une ou par intercommunalité.")),
    Step("directory", _("Annuaire"), _("Les professionnels de votre territoire, depuis l'extrait national.")),
    Step("tiers", _("Formules d'adhésion"), _("Le nom et le montant de chaque cotisation.")),
    Step("stripe", _("Paiement en ligne"), _("Un compte Stripe pour encaisser les cotisations par carte.")),
    Step("news", _("Première actualité"), _("Annoncez l'ouverture du site.")),
    Step("publish", _("Mise en ligne"), _("Vérifiez et annoncez que le site est prêt.")),
)
STEP_KEYS = tuple(step.key for step in STEPS)
STEP_URL_NAMES = {key: f"onboarding:{key}" for key in STEP_KEYS}


@dataclass(frozen=True)
class StepState:
    step: Step
    done: bool
    number: int


@dataclass(frozen=True)
class Progress:
    states: tuple[StepState, ...]

    @property
    def done_count(self) -> int:
        return sum(state.done for state in self.states)

    @property
    def total(self) -> int:
        return len(self.states)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / self.total)

    @property
    def finished(self) -> bool:
        return self.done_count == self.total

    @property
    def next_state(self) -> StepState | None:
        return next((state for state in self.states if not state.done), None)


def get_step(key: str) -> Step | None:
    return next((step for step in STEPS if step.key == key), None)


def get_progress() -> Progress:
    """Each step is done once recorded; the territory, payment and news steps are also done when
    the CPTS already has what they set up (made on the usual team pages)."""
    recorded = set(CompletedStep.objects.values_list("step", flat=True))
    recorded |= {"territory"} if TerritoryCommune.objects.exists() else set()
    recorded |= {"stripe"} if card_payments_available(current_community()) else set()
    recorded |= {"news"} if NewsItem.objects.filter(status=NewsItem.Status.PUBLISHED).exists() else set()
    return Progress(
        tuple(StepState(step, step.key in recorded, index) for index, step in enumerate(STEPS, start=1))
    )


def next_step_after(key: str) -> Step | None:
    """The first step not done after ``key`` (then before it), None when all are done."""
    progress = get_progress()
    order = list(STEP_KEYS)
    start = order.index(key) + 1 if key in order else 0
    for state in [*progress.states[start:], *progress.states[:start]]:
        if not state.done and state.step.key != key:
            return state.step
    return None


def directory_status() -> dict:
    """What the directory step shows: the last import and the entries listed."""
    return {
        "last_run": ImportRun.objects.order_by("-created_at").first(),
        "entries": Entry.objects.filter(withdrawn_at__isnull=True).count(),
    }


def list_active_tiers() -> list[Tier]:
    return list(Tier.objects.filter(is_active=True).order_by("order", "price", "pk"))
