"""Settings read the environment strictly: a malformed boolean or integer stops start-up with
ImproperlyConfigured naming the variable; every variable read is documented in .env.example; the
production settings pass `check --deploy` (HTTPS redirect, HSTS, secure cookies)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from cpts_platform.settings.environment import StrictEnv

SETTINGS_DIR = settings.BASE_DIR / "cpts_platform" / "settings"


def _start(module: str, **variables: str) -> subprocess.CompletedProcess:
    """Load the settings ``module`` in a fresh process with ``variables`` added to the environment."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": module, **variables}
    code = "import django; django.setup(); print('started')"
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, cwd=settings.BASE_DIR
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OPERATOR_2FA_REQUIRED", "ture"),
        ("DEBUG", "peut-être"),
        ("EMAIL_USE_TLS", "2"),
        ("TRUSTED_PROXY_COUNT", "un"),
        ("AXES_FAILURE_LIMIT", "0"),
        ("EMAIL_PORT", "70000"),
        ("INVITATION_VALID_DAYS", "14.5"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(variable, value):
    result = _start("cpts_platform.settings.test", **{variable: value})
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert f"{variable}={value!r}" in result.stderr


def test_a_typo_in_operator_2fa_required_does_not_turn_it_off_in_production():
    result = _start("cpts_platform.settings.prod", OPERATOR_2FA_REQUIRED="ture", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "OPERATOR_2FA_REQUIRED='ture' is not a boolean" in result.stderr


def test_well_formed_values_are_read_and_empty_means_the_default():
    env = StrictEnv()
    env.ENVIRON = {"YES": "yes", "OFF": "Off", "ONE": " 1 ", "EMPTY": "", "COUNT": "42", "NEG": "-3"}
    assert env.bool("YES") is True
    assert env.bool("OFF") is False
    assert env.bool("ONE") is True
    assert env.bool("EMPTY", default=True) is True
    assert env.bool("MISSING", default=False) is False
    assert env.int("COUNT", minimum=0) == 42
    assert env.int("NEG") == -3
    assert env.int("EMPTY", default=7) == 7
    with pytest.raises(ImproperlyConfigured, match="Set the MISSING environment variable"):
        env.bool("MISSING")
    with pytest.raises(ImproperlyConfigured, match=r"NEG='-3' is below its minimum, 0"):
        env.int("NEG", minimum=0)


def _variables_read_by_settings() -> set[str]:
    """Names passed to ``env(...)`` / ``env.<type>(...)`` in every settings module."""
    names: set[str] = set()
    for path in SETTINGS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            is_env = (isinstance(func, ast.Name) and func.id == "env") or (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "env"
            )
            first = node.args[0]
            if is_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
    return names


def _variables_in_env_example() -> set[str]:
    lines = (settings.BASE_DIR / ".env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if line and not line.startswith("#") and "=" in line}


def test_env_example_lists_every_variable_the_settings_read():
    read = _variables_read_by_settings()
    # The parser must see the reads it is meant to check (guards against a parser that finds none).
    assert {"SECRET_KEY", "OPERATOR_2FA_REQUIRED", "SECURE_HSTS_SECONDS", "AXES_FAILURE_LIMIT"} <= read
    assert read - _variables_in_env_example() == set()


def test_production_settings_pass_the_deployment_checks():
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cpts_platform.settings.prod",
        "SECRET_KEY": "k3y-" + "9fQ2x!Lr7@pW" * 6,
    }
    # Set by the browser tests' session fixture (Playwright's event loop), never in production.
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment, capture_output=True, text=True, cwd=settings.BASE_DIR,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_redirects_to_https_and_sends_hsts_by_default():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_REDIRECT_EXEMPT)"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cpts_platform.settings.prod",
        "SECRET_KEY": "x" * 60,
    }
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        environment.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, cwd=settings.BASE_DIR
    )
    assert (
        result.stdout.strip()
        == "True 31536000 True True True ['^healthz$', '^readyz$', '^livez$', '^metrics$']"
    ), result.stderr
