from __future__ import annotations

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from apps.richtext import make_rich

from .branding import MAX_UPLOAD_BYTES, check_color_on_white
from .models import EmergencyNumber, FaqItem, Mission, NewsItem, Page, SiteSettings, VisitorMessage
from .navigation import platform_route

RICH_HELP = _(
    "Texte simple (une ligne vide sépare deux paragraphes) ou HTML limité : titres h2 à h4, gras, "
    "italique, listes, liens, images, tableaux. Tout script ou style est retiré."
)
IMAGE_ACCEPT = "image/png,image/jpeg,image/webp,image/gif"


class ColorInput(forms.TextInput):
    input_type = "color"


class BrandingForm(forms.ModelForm):
    logo_file = forms.FileField(
        label=_("Nouveau logo"),
        required=False,
        help_text=_("PNG, JPEG, WebP ou GIF, 2 Mo au plus ; redimensionné à 512 × 256 pixels au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    remove_logo = forms.BooleanField(label=_("Retirer le logo actuel"), required=False)
    favicon_file = forms.FileField(
        label=_("Nouvelle icône du site (favicon)"),
        required=False,
        help_text=_("Image carrée de préférence ; redimensionnée à 64 × 64 pixels."),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    remove_favicon = forms.BooleanField(label=_("Retirer l'icône actuelle"), required=False)
    hero_file = forms.FileField(
        label=_("Nouvelle image d'accueil"),
        required=False,
        help_text=_(
            "Une photo du territoire ou de l'équipe, en largeur, derrière le nom de la CPTS sur la page "
            "d'accueil ; redimensionnée à 1920 × 1080 pixels au plus."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    remove_hero = forms.BooleanField(label=_("Retirer l'image d'accueil actuelle"), required=False)

    class Meta:
        model = SiteSettings
        fields = [
            "tagline",
            "primary_color",
            "accent_color",
            "intro",
            "join_call",
            "contact_email",
            "phone",
            "address",
        ]
        widgets = {
            "primary_color": ColorInput(),
            "accent_color": ColorInput(),
            "intro": forms.Textarea(attrs={"rows": 5}),
            "join_call": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "primary_color": _("Fond de l'en-tête et des boutons, texte blanc dessus : contraste AA exigé."),
            "accent_color": _("Couleur des liens sur fond blanc : contraste AA exigé."),
            "intro": RICH_HELP,
            "join_call": RICH_HELP,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        make_rich(self, "intro", "join_call")
        if not self.instance.logo:
            del self.fields["remove_logo"]
        if not self.instance.favicon:
            del self.fields["remove_favicon"]

    def clean_primary_color(self) -> str:
        return check_color_on_white(
            self.cleaned_data["primary_color"], role=str(_("texte blanc sur la couleur"))
        )

    def clean_accent_color(self) -> str:
        return check_color_on_white(self.cleaned_data["accent_color"], role=str(_("liens sur fond blanc")))

    def _clean_upload(self, name: str):
        upload = self.cleaned_data.get(name)
        if upload and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Le fichier dépasse 2 Mo."))
        return upload

    def clean_logo_file(self):
        return self._clean_upload("logo_file")

    def clean_favicon_file(self):
        return self._clean_upload("favicon_file")


class MissionForm(forms.ModelForm):
    class Meta:
        model = Mission
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}
        help_texts = {"body": RICH_HELP}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        make_rich(self, "body")


class PageForm(forms.ModelForm):
    class Meta:
        model = Page
        fields = ["title", "slug", "summary", "body", "is_published", "menu", "position"]
        widgets = {"body": forms.Textarea(attrs={"rows": 18})}
        help_texts = {
            "slug": _("Laissez vide pour la déduire du titre (lettres, chiffres et tirets)."),
            "body": RICH_HELP,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        make_rich(self, "body")
        self.fields["slug"].required = False

    def clean(self):
        cleaned = super().clean()
        slug = cleaned.get("slug") or slugify(cleaned.get("title") or "")
        route = platform_route(slug)
        if route and cleaned.get("menu") not in (None, Page.Menu.NONE):
            self.add_error(
                "menu",
                _(
                    "La plateforme a déjà sa propre page à l'adresse %(route)s, présente dans la "
                    "navigation : choisissez « Aucun menu » ou une autre adresse."
                )
                % {"route": route},
            )
        return cleaned


class FaqItemForm(forms.ModelForm):
    class Meta:
        model = FaqItem
        fields = ["question", "answer", "is_published"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 8})}
        help_texts = {"answer": RICH_HELP}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        make_rich(self, "answer")


class NewsItemForm(forms.ModelForm):
    image_file = forms.FileField(
        label=_("Image"),
        required=False,
        help_text=_("PNG, JPEG, WebP ou GIF, 2 Mo au plus ; redimensionnée à 1600 pixels de large au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT}),
    )
    remove_image = forms.BooleanField(label=_("Retirer l'image actuelle"), required=False)

    class Meta:
        model = NewsItem
        fields = ["title", "slug", "summary", "body", "image_alt", "status", "publish_at"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 14}),
            "publish_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }
        help_texts = {
            "slug": _("Laissez vide pour la déduire du titre."),
            "body": RICH_HELP,
            "status": _("Une actualité publiée avec une date future paraîtra automatiquement à cette date."),
            "image_alt": _(
                "Décrivez l'image pour les personnes qui ne la voient pas (obligatoire avec une image)."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        make_rich(self, "body")
        if not self.instance.image:
            del self.fields["remove_image"]
        self.fields["slug"].required = False
        self.fields["publish_at"].input_formats = ["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"]

    def clean(self):
        data = super().clean()
        has_image = bool(data.get("image_file")) or (
            bool(self.instance.image) and not data.get("remove_image")
        )
        if has_image and not (data.get("image_alt") or "").strip():
            self.add_error("image_alt", _("Décrivez l'image : ce texte est lu aux personnes aveugles."))
        return data


class EmergencyNumberForm(forms.ModelForm):
    class Meta:
        model = EmergencyNumber
        fields = ["category", "number", "label", "description", "position", "is_visible"]


class VisibilityForm(forms.ModelForm):
    class Meta:
        model = EmergencyNumber
        fields = ["is_visible"]


class VisitorMessageForm(forms.Form):
    """Contact form and idea box. ``website`` is a honeypot: hidden from people, filled by bots."""

    name = forms.CharField(label=_("Votre nom"), max_length=150)
    email = forms.EmailField(label=_("Votre adresse e-mail"))
    subject = forms.CharField(label=_("Objet"), max_length=200, required=False)
    body = forms.CharField(
        label=_("Votre message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8})
    )
    website = forms.CharField(label=_("Ne pas remplir ce champ"), required=False)

    def __init__(self, *args, kind: str = VisitorMessage.Kind.CONTACT, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        if kind == VisitorMessage.Kind.IDEA:
            self.fields["body"].label = _("Votre idée")
            self.fields["subject"].label = _("En quelques mots")

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))
