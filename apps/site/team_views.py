"""The "espace équipe" of the site: the CPTS's team (role team or admin) edits its own site.

Outsiders get 404 and plain members 403 (apps.members.permissions.role_required). Every object
is looked up in the current CPTS's schema, so an id from another CPTS simply does not exist here.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.form_errors import add_errors_to_form
from apps.members.models import Role
from apps.members.permissions import role_required

from . import selectors, services
from .forms import (
    BrandingForm,
    EmergencyNumberForm,
    FaqItemForm,
    MissionForm,
    NewsItemForm,
    PageForm,
    VisibilityForm,
)
from .models import EmergencyNumber, FaqItem, Mission, NewsItem, Page, VisitorMessage

team_required = role_required(Role.TEAM)


@team_required
@require_POST
def image_upload(request):
    """The rich-text editor's image upload: 201 with the image's address, or 400 with the reason in
    French (``{"error": …}``)."""
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"error": _("Aucune image reçue.")}, status=400)
    try:
        image = services.upload_rich_image(actor=request.user, upload=upload)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    url = default_storage.url(image.files[-1])
    return JsonResponse({"url": url, "width": image.widths[-1], "height": image.height}, status=201)


@team_required
def dashboard(request):
    return render(
        request,
        "site/team/dashboard.html",
        {
            "pages": selectors.list_pages(),
            "news": selectors.list_news()[:5],
            "unhandled": selectors.count_unhandled_messages(),
            "faq_count": selectors.list_faq().count(),
        },
    )


@team_required
def branding(request):
    site = selectors.get_site_settings()
    form = BrandingForm(request.POST or None, request.FILES or None, instance=site)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_branding(
                actor=request.user,
                site=form.save(commit=False),
                logo=form.cleaned_data.get("logo_file"),
                favicon=form.cleaned_data.get("favicon_file"),
                remove_logo=form.cleaned_data.get("remove_logo", False),
                remove_favicon=form.cleaned_data.get("remove_favicon", False),
                hero=form.cleaned_data.get("hero_file"),
                remove_hero=form.cleaned_data.get("remove_hero", False),
            )
        except ValidationError as error:
            add_errors_to_form(
                form,
                error,
                renamed={"logo": "logo_file", "favicon": "favicon_file", "hero_image": "hero_file"},
            )
        else:
            messages.success(request, _("L'identité du site est enregistrée."))
            return redirect("site:team_branding")
    return render(request, "site/team/branding.html", {"form": form, "site": site})


@team_required
def missions(request):
    return render(request, "site/team/missions.html", {"missions": selectors.list_missions()})


@team_required
def mission_edit(request, pk: int):
    mission = get_object_or_404(Mission, pk=pk)
    form = MissionForm(request.POST or None, instance=mission)
    if request.method == "POST" and form.is_valid():
        services.save_mission(actor=request.user, mission=form.save(commit=False))
        messages.success(request, _("La mission est enregistrée."))
        return redirect("site:team_missions")
    return render(request, "site/team/form.html", {"form": form, "title": _("Modifier une mission")})


@team_required
def pages(request):
    return render(request, "site/team/pages.html", {"pages": selectors.list_pages()})


@team_required
def page_edit(request, pk: int | None = None):
    page = get_object_or_404(Page, pk=pk) if pk else Page()
    form = PageForm(request.POST or None, instance=page)
    if request.method == "POST" and form.is_valid():
        saved = services.save_page(actor=request.user, page=form.save(commit=False))
        messages.success(request, _("La page « %(title)s » est enregistrée.") % {"title": saved.title})
        return redirect("site:team_pages")
    title = _("Modifier la page « %(title)s »") % {"title": page.title} if pk else _("Nouvelle page")
    return render(request, "site/team/form.html", {"form": form, "title": title, "obj": page if pk else None})


@team_required
@require_POST
def page_delete(request, pk: int):
    page = get_object_or_404(Page, pk=pk)
    services.delete_page(actor=request.user, page=page)
    messages.success(request, _("La page « %(title)s » est supprimée.") % {"title": page.title})
    return redirect("site:team_pages")


@team_required
def faq(request):
    return render(request, "site/team/faq.html", {"items": selectors.list_faq()})


@team_required
def faq_edit(request, pk: int | None = None):
    item = get_object_or_404(FaqItem, pk=pk) if pk else FaqItem()
    form = FaqItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        services.save_faq_item(actor=request.user, item=form.save(commit=False))
        messages.success(request, _("La question est enregistrée."))
        return redirect("site:team_faq")
    title = _("Modifier une question") if pk else _("Nouvelle question")
    return render(request, "site/team/form.html", {"form": form, "title": title})


@team_required
@require_POST
def faq_move(request, pk: int, direction: str):
    item = get_object_or_404(FaqItem, pk=pk)
    services.move_faq_item(actor=request.user, item=item, direction=-1 if direction == "monter" else 1)
    return redirect("site:team_faq")


@team_required
@require_POST
def faq_delete(request, pk: int):
    item = get_object_or_404(FaqItem, pk=pk)
    services.delete_faq_item(actor=request.user, item=item)
    messages.success(request, _("La question est supprimée."))
    return redirect("site:team_faq")


@team_required
def news(request):
    return render(request, "site/team/news.html", {"items": selectors.list_news()})


@team_required
def news_edit(request, pk: int | None = None):
    item = get_object_or_404(NewsItem, pk=pk) if pk else NewsItem()
    form = NewsItemForm(request.POST or None, request.FILES or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_news_item(
                actor=request.user,
                item=form.save(commit=False),
                image=form.cleaned_data.get("image_file"),
                remove_image=form.cleaned_data.get("remove_image", False),
            )
        except ValidationError as error:
            add_errors_to_form(form, error, renamed={"image": "image_file"})
        else:
            if saved.is_scheduled:
                note = _("L'actualité « %(title)s » paraîtra le %(date)s.") % {
                    "title": saved.title,
                    "date": f"{timezone.localtime(saved.publish_at):%d/%m/%Y à %H:%M}",
                }
            elif saved.is_public:
                note = _("L'actualité « %(title)s » est publiée.") % {"title": saved.title}
            else:
                note = _("Le brouillon « %(title)s » est enregistré.") % {"title": saved.title}
            messages.success(request, note)
            return redirect("site:team_news")
    title = _("Modifier « %(title)s »") % {"title": item.title} if pk else _("Nouvelle actualité")
    return render(request, "site/team/form.html", {"form": form, "title": title, "multipart": True})


@team_required
@require_POST
def news_delete(request, pk: int):
    item = get_object_or_404(NewsItem, pk=pk)
    services.delete_news_item(actor=request.user, item=item)
    messages.success(request, _("L'actualité « %(title)s » est supprimée.") % {"title": item.title})
    return redirect("site:team_news")


@team_required
def numbers(request):
    return render(request, "site/team/numbers.html", {"numbers": selectors.list_numbers()})


@team_required
def number_edit(request, pk: int | None = None):
    number = get_object_or_404(EmergencyNumber, pk=pk) if pk else EmergencyNumber()
    form_class = VisibilityForm if number.is_national else EmergencyNumberForm
    form = form_class(request.POST or None, instance=number)
    if request.method == "POST" and form.is_valid():
        services.save_number(actor=request.user, number=form.save(commit=False))
        messages.success(request, _("Le numéro est enregistré."))
        return redirect("site:team_numbers")
    if number.is_national:
        title = _("Numéro national %(number)s – %(label)s") % {"number": number.number, "label": number.label}
    else:
        title = _("Modifier un numéro local") if pk else _("Nouveau numéro local")
    return render(request, "site/team/form.html", {"form": form, "title": title})


@team_required
@require_POST
def number_delete(request, pk: int):
    number = get_object_or_404(EmergencyNumber, pk=pk)
    try:
        services.delete_number(actor=request.user, number=number)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Le numéro est supprimé."))
    return redirect("site:team_numbers")


@team_required
def inbox(request):
    kind = request.GET.get("type")
    if kind not in VisitorMessage.Kind.values:
        kind = None
    return render(
        request,
        "site/team/inbox.html",
        {"items": selectors.list_messages(kind)[:200], "kind": kind, "kinds": VisitorMessage.Kind.choices},
    )


@team_required
def message_detail(request, pk: int):
    message = get_object_or_404(VisitorMessage, pk=pk)
    if request.method == "POST":
        handled = request.POST.get("handled") == "1"
        services.mark_message_handled(actor=request.user, message=message, handled=handled)
        messages.success(
            request, _("Message marqué comme traité.") if handled else _("Message remis à traiter.")
        )
        return redirect("site:team_inbox")
    return render(request, "site/team/message.html", {"message": message})
