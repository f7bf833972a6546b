from django.conf import settings
from django.db import connection, models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import get_creation_fakes_migrations, get_public_schema_name, schema_exists

from .cloning import clone_schema


class Community(TenantMixin):
    """A CPTS. ``schema_name`` is its slug: its subdomain and its PostgreSQL schema.

    The public schema has a row too (schema ``public``): the platform site itself.
    """

    class Status(models.TextChoices):
        PROVISIONING = "provisioning", _("En cours de création")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspendue")
        CLOSED = "closed", _("Fermée")

    class AciSize(models.IntegerChoices):
        SIZE_1 = 1, _("Taille 1 (moins de 40 000 habitants)")
        SIZE_2 = 2, _("Taille 2 (40 000 à 80 000 habitants)")
        SIZE_3 = 3, _("Taille 3 (80 000 à 175 000 habitants)")
        SIZE_4 = 4, _("Taille 4 (plus de 175 000 habitants)")

    name = models.CharField(_("nom"), max_length=200)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices, default=Status.PROVISIONING)
    territory_summary = models.CharField(_("territoire"), max_length=300, blank=True)
    aci_size = models.PositiveSmallIntegerField(
        _("taille ACI"), choices=AciSize.choices, null=True, blank=True
    )
    primary_color = models.CharField(_("couleur principale"), max_length=7, default="#0b5fa5")
    stripe_account_id = models.CharField(_("compte Stripe"), max_length=255, blank=True, db_index=True)
    plan = models.CharField(_("offre"), max_length=50, default="standard")
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Provisioning owns the schema's life: see tenants/provisioning.py.
    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        verbose_name = _("CPTS")
        verbose_name_plural = _("CPTS")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def slug(self) -> str:
        return self.schema_name

    @property
    def designation(self) -> str:
        """The name as French says it after « à », « de », « dans »: « la CPTS des Trois
        Rivières » (« à la CPTS des Trois Rivières », never « à CPTS des … »); a name that does not
        say it is a CPTS is introduced as one (« la CPTS Santé du Littoral »)."""
        first = self.name.split(maxsplit=1)[0].casefold() if self.name.strip() else ""
        if first in ("cpts", "communauté"):
            return f"la {self.name}"
        return f"la CPTS {self.name}"

    @property
    def is_platform(self) -> bool:
        return self.schema_name == get_public_schema_name()

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """Clone the template schema with our fast clone (tenants/cloning.py), and without
        django-tenants' extra "fake migrations" pass.

        The clone copies the template's tables *with their rows*, django_migrations included, so
        the new schema already records every migration as applied; the fake pass only reloaded
        the migration graph. See docs/tenancy.md for the measurements.
        """
        base = self.get_base_schema() if get_creation_fakes_migrations() else False
        if not (sync_schema and base and schema_exists(base)):
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        clone_schema(base, self.schema_name)
        connection.set_schema_to_public()
        return True

    def primary_url(self) -> str:
        domain = self.get_primary_domain()
        return domain.url() if domain else ""


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domaine")
        verbose_name_plural = _("domaines")

    def __str__(self) -> str:
        return self.domain

    def url(self) -> str:
        port = f":{settings.PLATFORM_PORT}" if settings.PLATFORM_PORT else ""
        return f"{settings.PLATFORM_SCHEME}://{self.domain}{port}/"
