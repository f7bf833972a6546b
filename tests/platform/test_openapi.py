"""The OpenAPI schema of a CPTS's API is complete and builds without a warning (a warning means an
endpoint drf-spectacular could not describe: missing types, untyped path parameters…)."""

from django.core.management import call_command


def test_the_cpts_api_schema_builds_without_warnings_and_lists_every_api(tmp_path, db):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--urlconf", "cpts_platform.urls_tenant", "--fail-on-warn", "--file", str(target)
    )
    schema = target.read_text()
    for path in ("/api/v1/events/", "/api/v1/indicators/", "/api/v1/health-project", "/api/v1/directory/",
                 "/api/v1/members/", "/api/v1/territory", "/api/v1/me"):  # fmt: skip
        assert f"  {path}" in schema, path


def test_the_operator_api_schema_builds_without_warnings(tmp_path, db):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--urlconf", "cpts_platform.urls_public", "--fail-on-warn", "--file", str(target)
    )
    assert "  /api/v1/communities/" in target.read_text()
