"""What the back-office shows, filled by the apps at start-up (``AppConfig.ready``).

Two registries, both read per request and filtered by the role the account holds in the CPTS
(``request.membership.has_role``; no membership here shows nothing, failing closed):

- **sidebar entries**: ``register_sidebar_entry(group=…, label=…, icon=…, url_name=…, role=…)``.
  Entries sit under the job groups of ``GROUPS`` (an app may add its own with ``register_group``);
  a group with no visible entry is not shown. An entry or a group may also carry ``visible``, a
  condition of the request (``visible(request) -> bool``: a module switched on for this CPTS, a
  permission the account holds); each distinct condition is asked at most once per sidebar. The entry whose URL is the longest prefix of the
  current path is the active one, and gives the page its breadcrumbs.
- **dashboard panels**: ``register_dashboard_panel(key=…, template=…, context=…, role=…)``. The
  dashboard includes each visible panel's template with the dict its ``context(request)`` returns;
  a panel whose function returns None is skipped (nothing to show, e.g. a finished checklist).

This module imports no app: it is how lower and sibling apps reach the layout without the layout
importing them (docs/ui.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

Condition = Callable[[HttpRequest], bool]


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    order: int
    visible: Condition | None = None


@dataclass(frozen=True)
class SidebarEntry:
    group: str
    label: str
    icon: str
    url_name: str
    role: str = "team"
    order: int = 100
    # Other path prefixes that belong to this entry (pages reached from it whose URL does not
    # start with its own, e.g. an event's registrations under « Événements »).
    also_matches: tuple[str, ...] = ()
    visible: Condition | None = None


@dataclass(frozen=True)
class DashboardPanel:
    key: str
    template: str
    context: Callable[[HttpRequest], dict | None]
    role: str = "team"
    order: int = 100
    # "wide" panels span the whole row of the dashboard grid (a checklist, a chart).
    size: str = "normal"


_groups: dict[str, Group] = {}
_entries: dict[tuple[str, str], SidebarEntry] = {}
_panels: dict[str, DashboardPanel] = {}


def register_group(key: str, label: str, order: int, *, visible: Condition | None = None) -> None:
    """Add (or relabel) a sidebar group; ``order`` places it among the others (10, 20, …).
    ``visible(request)`` False hides the whole group, whatever its entries say. Apps sharing a
    group register it alike; the last registration wins."""
    _groups[key] = Group(key, label, order, visible)


for _order, (_key, _label) in enumerate(
    (
        ("dashboard", _("Tableau de bord")),
        ("members", _("Adhérents")),
        ("dues", _("Cotisations")),
        ("directory", _("Annuaire")),
        ("territory", _("Territoire")),
        ("site", _("Site")),
        ("events", _("Événements")),
        ("groups", _("Groupes")),
        ("health_project", _("Projet de santé")),
        ("aci", _("ACI")),
        ("settings", _("Réglages")),
    ),
    start=1,
):
    register_group(_key, _label, _order * 10)


def register_sidebar_entry(
    *,
    group: str,
    label: str,
    icon: str,
    url_name: str,
    role: str = "team",
    order: int = 100,
    also_matches: tuple[str, ...] = (),
    visible: Condition | None = None,
) -> None:
    """Show a link in the back-office sidebar to accounts holding ``role`` here (and, with
    ``visible``, only on requests for which ``visible(request)`` is true).

    ``icon`` is a Lucide icon name vendored under static/vendor/lucide/ (the ``icon`` tag raises on
    an unknown one); ``url_name`` a URL name without arguments. Registering the same
    (group, url_name) again replaces the entry (an app's ready() may run twice in tests)."""
    if group not in _groups:
        raise ValueError(f"unknown sidebar group {group!r}: register_group() it first")
    _entries[(group, url_name)] = SidebarEntry(
        group, label, icon, url_name, role, order, also_matches, visible
    )


def register_dashboard_panel(
    *,
    key: str,
    template: str,
    context: Callable[[HttpRequest], dict | None],
    role: str = "team",
    order: int = 100,
    size: str = "normal",
) -> None:
    """Show a block on the team dashboard to accounts holding ``role`` here. ``template`` is
    included with ``context(request)``'s dict (plus ``request``); None skips the panel."""
    _panels[key] = DashboardPanel(key, template, context, role, order, size)


def _allowed(request: HttpRequest, role: str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and membership.has_role(role)


@dataclass
class NavLink:
    label: str
    icon: str
    url: str
    active: bool = False


@dataclass
class NavGroup:
    key: str
    label: str
    links: list[NavLink] = field(default_factory=list)


@dataclass
class Sidebar:
    groups: list[NavGroup]
    active_group: NavGroup | None = None
    active_link: NavLink | None = None

    @property
    def breadcrumbs(self) -> list[NavLink]:
        """Group then entry of the active link (the group's first link stands for the group)."""
        if self.active_link is None or self.active_group is None:
            return []
        first = self.active_group.links[0]
        crumbs = [NavLink(self.active_group.label, first.icon, first.url)]
        if first is not self.active_link:
            crumbs.append(self.active_link)
        return crumbs


def sidebar_for(request: HttpRequest) -> Sidebar:
    """The groups and links this account may see here, the active one marked."""
    groups: list[NavGroup] = []
    best: tuple[int, NavGroup, NavLink] | None = None
    path = request.path
    ordered = sorted(_entries.values(), key=lambda e: (_groups[e.group].order, e.order, str(e.label)))
    by_key: dict[str, NavGroup] = {}
    answers: dict[Condition, bool] = {}

    def holds(condition: Condition | None) -> bool:
        # Conditions may query the database (a module's switch): one answer per sidebar.
        if condition is None:
            return True
        if condition not in answers:
            answers[condition] = bool(condition(request))
        return answers[condition]

    for entry in ordered:
        if not _allowed(request, entry.role):
            continue
        if not holds(_groups[entry.group].visible) or not holds(entry.visible):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            # An app registered an entry its URLconf does not serve on this host (platform host).
            continue
        nav_group = by_key.get(entry.group)
        if nav_group is None:
            nav_group = by_key[entry.group] = NavGroup(entry.group, str(_groups[entry.group].label))
            groups.append(nav_group)
        link = NavLink(str(entry.label), entry.icon, url)
        nav_group.links.append(link)
        for prefix in (url, *entry.also_matches):
            if path.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), nav_group, link)
    sidebar = Sidebar(groups)
    if best is not None:
        best[2].active = True
        sidebar.active_group, sidebar.active_link = best[1], best[2]
    return sidebar


def panels_for(request: HttpRequest) -> list[tuple[DashboardPanel, dict]]:
    """The dashboard panels this account may see, in order, each with its context."""
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        if not _allowed(request, panel.role):
            continue
        context = panel.context(request)
        if context is not None:
            shown.append((panel, context))
    return shown
