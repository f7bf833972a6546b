"""The catalogue of audited actions: a stable code (stored) and its French label (shown).

``record`` refuses a code missing here, so a typo fails where it is written, and the log page's
filter lists exactly what can appear. Codes are ``<domain>.<what_happened>``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, str] = {
    # Roles and access
    "members.invited": _("Invitation envoyée"),
    "members.role_changed": _("Rôle modifié"),
    "members.member_removed": _("Membre retiré"),
    "members.security_changed": _("Sécurité de l'équipe modifiée"),
    # Directory and territory
    "directory.entry_created": _("Fiche d'annuaire créée"),
    "directory.entry_updated": _("Fiche d'annuaire modifiée"),
    "directory.import_started": _("Import de l'annuaire lancé"),
    "directory.listing_decided": _("Demande d'annuaire traitée"),
    "territory.communes_added": _("Communes ajoutées au territoire"),
    "territory.commune_removed": _("Commune retirée du territoire"),
    "territory.aci_size_set": _("Taille ACI modifiée"),
    # Site and settings
    "site.branding_changed": _("Identité du site modifiée"),
    "site.content_saved": _("Contenu du site enregistré"),
    "site.content_deleted": _("Contenu du site supprimé"),
    "site.message_handled": _("Message de visiteur traité"),
    # Money (apps.payments), communication, desk
    "payments.refunded": _("Paiement remboursé"),
    "payments.partially_refunded": _("Paiement remboursé en partie (vu sur Stripe)"),
    "payments.disputed": _("Paiement contesté auprès de la banque"),
    "payments.dispute_fee_charged": _("Frais de contestation prélevés par Stripe"),
    "payments.dispute_fee_returned": _("Frais de contestation rendus par Stripe"),
    "payments.recorded_offline": _("Paiement hors ligne enregistré (chèque, virement, espèces)"),
    "campaigns.sent": _("Campagne envoyée"),
    "campaigns.sender_changed": _("Expéditeur des campagnes modifié"),
    "desk.accessed": _("Dossier du guichet consulté"),
    "desk.request_exported": _("Dossier du guichet exporté"),
    "desk.permission_changed": _("Accès aux soins ouvert ou retiré"),
    "desk.settings_changed": _("Réglages du guichet modifiés"),
    # Personal data
    "audit.exported": _("Journal d'audit exporté"),
    "events.registrations_exported": _("Liste des inscrits exportée"),
    "members.exported": _("Liste des adhérents exportée"),
    "gdpr.data_exported": _("Données personnelles téléchargées"),
    "gdpr.erasure_requested": _("Effacement des données demandé"),
    "gdpr.account_anonymised": _("Compte anonymisé"),
    "gdpr.retention_applied": _("Durées de conservation appliquées"),
    # Platform (operator)
    "platform.community_opened": _("CPTS ouverte"),
    "platform.community_status_changed": _("Statut d'une CPTS modifié"),
    "platform.domain_added": _("Domaine ajouté"),
    "platform.domain_removed": _("Domaine retiré"),
    "platform.audit_exported": _("Journal de la plateforme exporté"),
    "platform.community_exported": _("Archive d'une CPTS demandée"),
}


def label_of(action: str) -> str:
    return str(ACTIONS.get(action, action))
