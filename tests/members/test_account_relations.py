"""Relation fields point at this CPTS's people only. Accounts live in the public schema (every CPTS
and the operators share the table), so each writable relation of the tenant API is walked from
the router's serializers: a foreign id is a 400 naming the field, and nothing changes."""

from __future__ import annotations

import importlib

import pytest
from django import forms as django_forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context
from rest_framework import mixins, serializers
from rest_framework.relations import ManyRelatedField, RelatedField

from apps.health_projects import services as project_services
from apps.health_projects.forms import ActionForm
from apps.health_projects.models import Action
from apps.working_groups.forms import GroupForm
from cpts_platform.api_tenant import router
from tests.conftest import HOST_A


def _serializer_classes(viewset) -> set[type]:
    classes = {viewset.serializer_class}
    for extra in viewset.get_extra_actions():
        if extra.kwargs.get("serializer_class"):
            classes.add(extra.kwargs["serializer_class"])
    return {cls for cls in classes if cls is not None}


def _writable_relations(serializer, prefix=""):
    """(dotted field name, related model) of every writable relation, nested serializers included."""
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, ManyRelatedField):
            yield prefix + name, field.child_relation.get_queryset().model
        elif isinstance(field, RelatedField):
            yield prefix + name, field.get_queryset().model
        elif isinstance(field, serializers.ListSerializer):
            yield from _writable_relations(field.child, f"{prefix}{name}.")
        elif isinstance(field, serializers.Serializer):
            yield from _writable_relations(field, f"{prefix}{name}.")


def walk_tenant_api():
    """(router prefix, viewset, serializer class, field, related model) for the whole tenant API."""
    found = []
    for prefix, viewset, _basename in router.registry:
        for cls in _serializer_classes(viewset):
            for field, model in _writable_relations(cls()):
                found.append((prefix, viewset, cls, field, model))
    return found


def make_action(alice) -> Action:
    version = project_services.create_version(actor=alice, title="Projet")
    axis = version.axes.get(mission="access")
    return project_services.add_action(actor=alice, axis=axis, data={"title": "Cellule SNP", "owner": alice})


# An object to PATCH for each model whose API can be updated; a new updatable model with a
# writable relation makes the walk below fail until it has one.
FACTORIES = {Action: make_action}


def test_every_writable_relation_of_the_tenant_api_refuses_a_foreign_id(
    world, db, alice, bob, charlie, operator, client_as
):
    users = get_user_model()
    client = client_as(alice, HOST_A)
    with schema_context("alpha"):
        relations = walk_tenant_api()
    assert ("health-project/actions", "owner") in {(p, f) for p, _v, _c, f, _m in relations}
    for prefix, viewset, cls, field, model in relations:
        # Charlie is a member of B only; the operator runs the platform: neither is A's.
        foreign = [charlie.pk, operator.pk] if model is users else [10**9]
        for foreign_id in foreign:
            with schema_context("alpha"):
                check = cls(data={field: foreign_id}, partial=True)
                assert not check.is_valid() and field in check.errors, (prefix, field, foreign_id)
        updatable = issubclass(viewset, mixins.UpdateModelMixin) and "patch" in viewset.http_method_names
        if not updatable or cls is not viewset.serializer_class:
            continue
        serializer_model = cls.Meta.model
        assert serializer_model in FACTORIES, f"no object to PATCH for {serializer_model.__name__}"
        with schema_context("alpha"):
            instance = FACTORIES[serializer_model](alice)
            before = {f.attname: getattr(instance, f.attname) for f in serializer_model._meta.concrete_fields}
        for foreign_id in foreign:
            response = client.patch(
                f"/api/v1/{prefix}/{instance.pk}/", {field: foreign_id}, content_type="application/json"
            )
            assert response.status_code == 400, (prefix, field, response.status_code, response.content)
            assert field in response.json() and "Charlie" not in response.text
            with schema_context("alpha"):
                instance.refresh_from_db()
                after = {
                    f.attname: getattr(instance, f.attname) for f in serializer_model._meta.concrete_fields
                }
            assert after == before, (prefix, field)
        if model is users:
            # The field still works with one of A's people.
            response = client.patch(
                f"/api/v1/{prefix}/{instance.pk}/", {field: bob.pk}, content_type="application/json"
            )
            assert response.status_code == 200, response.content


def test_the_service_refuses_a_foreign_owner_too(world, db, alice, charlie):
    with schema_context("alpha"):
        action = make_action(alice)
        with pytest.raises(ValidationError) as refused:
            project_services.update_action(actor=alice, action=action, data={"owner": charlie})
        assert "owner" in refused.value.message_dict
        action.refresh_from_db()
        assert action.owner_id == alice.pk


def _account_fields_of_every_tenant_form() -> set[tuple[str, str]]:
    """(form class, field) of every form field choosing accounts, in every app's forms module."""
    users = get_user_model()
    found = set()
    for config in apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for form_class in vars(module).values():
            if not (isinstance(form_class, type) and issubclass(form_class, django_forms.BaseForm)):
                continue
            for name, field in form_class.base_fields.items():
                if isinstance(field, django_forms.ModelChoiceField) and field.queryset.model is users:
                    found.add((form_class.__name__, name))
    return found


def test_account_fields_of_the_team_forms_offer_and_accept_this_cptss_people_only(
    world, db, alice, bob, charlie, operator
):
    with schema_context("alpha"):
        action = make_action(alice)
        forms = [
            (ActionForm(instance=action), ["owner"]),
            (GroupForm(), ["lead", "participants"]),
        ]
        # Every account field of every form is one of these (a new one must join this test).
        assert _account_fields_of_every_tenant_form() == {
            (type(form).__name__, name) for form, fields in forms for name in fields
        }
        for form, fields in forms:
            for name in fields:
                offered = set(form.fields[name].queryset.values_list("pk", flat=True))
                assert {alice.pk, bob.pk} <= offered and not offered & {charlie.pk, operator.pk}, name
        refused = GroupForm(
            data={"name": "G", "mission": "", "lead": charlie.pk, "participants": [operator.pk]}
        )
        assert not refused.is_valid()
        assert {"lead", "participants"} <= set(refused.errors)
