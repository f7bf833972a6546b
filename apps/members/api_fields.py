"""Serializer fields of a CPTS's API that point at accounts.

Accounts live in the public schema, shared by every CPTS and the operators: a plain
``PrimaryKeyRelatedField`` would accept anyone's id. ``CommunitySerializer`` maps every relation to
the account model onto ``CommunityAccountField``, limited to the people of the current CPTS
(``apps.members.selectors.community_accounts``): a foreign id is a 400 that names the field.
Every ``ModelSerializer`` of the tenant API derives from ``CommunitySerializer``.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .selectors import community_accounts


class CommunityAccountField(serializers.PrimaryKeyRelatedField):
    """An account id, accepted only for a person holding a membership in the current CPTS."""

    default_error_messages = {
        "does_not_exist": _("Aucune personne de cette CPTS ne porte l'identifiant « {pk_value} »."),
        "incorrect_type": _("Identifiant de personne attendu (nombre entier)."),
    }

    def get_queryset(self):
        return community_accounts()


class CommunitySerializer(serializers.ModelSerializer):
    """``ModelSerializer`` whose relations to accounts accept this CPTS's people only."""

    def build_relational_field(self, field_name, relation_info):
        field_class, field_kwargs = super().build_relational_field(field_name, relation_info)
        if relation_info.related_model is get_user_model() and field_class is self.serializer_related_field:
            field_kwargs.pop("queryset", None)
            if field_kwargs.get("read_only"):
                return field_class, field_kwargs
            return CommunityAccountField, field_kwargs
        return field_class, field_kwargs
