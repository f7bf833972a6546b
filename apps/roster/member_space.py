"""The roster's block of « Mon espace »: how many SNP slots the member declared, with the link."""

from __future__ import annotations

from django.http import HttpRequest

from .models import Slot


def snp_section(request: HttpRequest) -> dict:
    if not request.user.is_authenticated:
        return {}
    return {"snp_slot_count": Slot.objects.filter(professional=request.user).count()}
