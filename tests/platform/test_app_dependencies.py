"""The apps' import graph, read the way import-linter reads it (grimp: every import, those
written inside functions included). Accounts (global identity) is below members (roles in one
CPTS), and members, the base of every access check, is below dues and events."""

from __future__ import annotations

import grimp
import pytest


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("apps", include_external_packages=False)


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("apps.accounts", "apps.members"),
        ("apps.members", "apps.dues"),
        ("apps.members", "apps.events"),
    ],
)
def test_lower_app_never_imports_upper_app(graph, importer, imported):
    chains = graph.find_shortest_chains(importer=importer, imported=imported, as_packages=True)
    assert chains == set(), f"{importer} reaches {imported} through {sorted(chains)}"
