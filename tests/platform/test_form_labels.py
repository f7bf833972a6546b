"""No form shows an English label Django made up from a field name (« Meeting : »)."""

import importlib
import inspect
import pkgutil

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst

import apps


def _model_forms():
    for module_info in pkgutil.iter_modules(apps.__path__):
        try:
            module = importlib.import_module(f"apps.{module_info.name}.forms")
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.ModelForm) and cls.__module__ == module.__name__ and cls._meta.model:
                yield cls


def _auto_verbose_name(model, name: str) -> bool:
    """True when the model field has no verbose_name of its own: Django then uses the (English)
    field name as a plain str; a name given through gettext_lazy is a lazy proxy."""
    try:
        model_field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a form-only field
        return False
    return type(model_field.verbose_name) is str


def test_every_model_form_field_has_a_french_label():
    made_up = []
    for form_class in _model_forms():
        model = form_class._meta.model
        for name, field in form_class.base_fields.items():
            made_up_label = str(field.label) == capfirst(name.replace("_", " "))
            if field.label is None or (made_up_label and _auto_verbose_name(model, name)):
                made_up.append(f"{form_class.__module__}.{form_class.__name__}.{name}: {field.label}")
    assert made_up == [], "\n".join(made_up)
