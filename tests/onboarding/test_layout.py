"""The first-steps screens are team pages: they use the back-office layout (sidebar, breadcrumbs,
account menu), not the public site's header."""

from __future__ import annotations

import pytest

from tests.conftest import HOST_A

PATHS = [
    "/equipe/premiers-pas/",
    "/equipe/premiers-pas/identite/",
    "/equipe/premiers-pas/territoire/",
    "/equipe/premiers-pas/annuaire/",
    "/equipe/premiers-pas/formules/",
    "/equipe/premiers-pas/paiement/",
    "/equipe/premiers-pas/actualite/",
    "/equipe/premiers-pas/mise-en-ligne/",
]


@pytest.mark.parametrize("path", PATHS)
def test_each_first_steps_screen_is_in_the_back_office_layout(world, db, client_as, alice, path):
    html = client_as(alice, HOST_A).get(path).text
    assert 'id="bo-sidebar"' in html and 'aria-label="Espace équipe"' in html
    assert 'class="site-header"' not in html
    # Breadcrumbs lead back to the checklist.
    assert 'aria-label="Fil d\'Ariane"' in html and ">Premiers pas<" in html
