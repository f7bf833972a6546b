"""The missions of a CPTS under the ACI (accord conventionnel interprofessionnel, avenant 2).

Four *socles* every CPTS must run, two optional ones, and the CPTS's own. Shared by the projet de
santé (axes), the ACI contract (deadlines, envelopes) and working groups.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MissionKind(models.TextChoices):
    ACCESS = "access", _("Accès aux soins (médecin traitant, soins non programmés)")
    PATHWAYS = "pathways", _("Parcours pluriprofessionnels")
    PREVENTION = "prevention", _("Prévention")
    CRISIS = "crisis", _("Réponse aux crises sanitaires graves")
    QUALITY = "quality", _("Qualité et pertinence des soins")
    SUPPORT = "support", _("Accompagnement des professionnels de santé")
    OWN = "own", _("Mission propre à la CPTS")


SOCLE_MISSIONS = (MissionKind.ACCESS, MissionKind.PATHWAYS, MissionKind.PREVENTION, MissionKind.CRISIS)
OPTIONAL_MISSIONS = (MissionKind.QUALITY, MissionKind.SUPPORT)
ACI_MISSIONS = SOCLE_MISSIONS + OPTIONAL_MISSIONS


def mission_group(kind: str) -> str:
    if kind in SOCLE_MISSIONS:
        return str(_("Mission socle"))
    if kind in OPTIONAL_MISSIONS:
        return str(_("Mission optionnelle"))
    return str(_("Mission propre"))
