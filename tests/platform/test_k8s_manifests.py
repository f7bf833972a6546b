"""infra/k8s: the kustomize base and the production overlay, rendered here without a kubectl binary
(resources, namespace, images, strategic-merge patches: the subset of kustomize they use) and every
resulting object validated against the Kubernetes API schemas by kubernetes-validate."""

from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.conf import settings

K8S = Path(settings.BASE_DIR) / "infra" / "k8s"
# Read by the settings for development and tests only: never set in a cluster.
DEV_ONLY = {
    "DATABASE_NAME",  # points a test worker at the test database
    "CPTS_DATA_DIR",  # the embedded servers' folder
    "CELERY_TASK_ALWAYS_EAGER",
    "TEST_EMAIL_BACKEND",
    "EMAIL_FILE_PATH",  # file e-mail backend
    "STRIPE_API_BASE",  # localstripe
    "STRIPE_EMBEDDED",  # localstripe
    "MAIL_CATCHER_URL",  # the local mail catcher's web inbox (make run)
}


def load(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def merge(base, patch):
    """Strategic merge as kustomize does it for these patches: maps merge, lists of named items
    (containers, volumes, ports) merge by name, other lists are replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in patch)
    ):
        if all(isinstance(i, dict) and "name" in i for i in base):
            by_name = {item["name"]: item for item in base}
            merged = [
                merge(by_name[item["name"]], item) if item["name"] in by_name else item for item in patch
            ]
            return merged + [item for item in base if item["name"] not in {i["name"] for i in patch}]
    return copy.deepcopy(patch)


def key(doc: dict) -> tuple[str, str]:
    return doc["kind"], doc["metadata"]["name"]


def render(folder: Path) -> list[dict]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    docs: list[dict] = []
    for resource in kustomization.get("resources", []):
        target = folder / resource
        docs += render(target) if target.is_dir() else load(target)
    for patch in kustomization.get("patches", []):
        (partial,) = load(folder / patch["path"])
        matches = [i for i, doc in enumerate(docs) if key(doc) == key(partial)]
        assert len(matches) == 1, f"{patch['path']} patches nothing or several objects"
        docs[matches[0]] = merge(docs[matches[0]], partial)
    images = {image["name"]: image for image in kustomization.get("images", [])}
    for doc in docs:
        if "namespace" in kustomization and doc["kind"] != "Namespace":
            doc["metadata"]["namespace"] = kustomization["namespace"]
        pod = doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in pod.get("containers", []):
            name, _, tag = container["image"].partition(":")
            if name in images:
                image = images[name]
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}".rstrip(":")
    return docs


@pytest.fixture(scope="module")
def production() -> dict[tuple[str, str], dict]:
    docs = render(K8S / "overlays" / "production")
    assert len({key(doc) for doc in docs}) == len(docs), "two objects share a kind and name"
    return {key(doc): doc for doc in docs}


def test_every_manifest_file_is_listed_by_its_kustomization():
    for folder in (K8S / "base", K8S / "overlays" / "production"):
        kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
        listed = set(kustomization.get("resources", [])) | {
            p["path"] for p in kustomization.get("patches", [])
        }
        on_disk = {path.name for path in folder.glob("*.yaml")} - {"kustomization.yaml"}
        assert on_disk == {name for name in listed if not name.startswith("..")}, folder


@pytest.mark.parametrize("overlay", ["base", "overlays/production"])
def test_every_rendered_object_is_valid_for_the_kubernetes_api(overlay):
    version = kubernetes_validate.latest_version()
    docs = render(K8S / overlay)
    assert len(docs) >= 15
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)


def test_a_broken_manifest_is_caught():
    (web,) = [doc for doc in render(K8S / "base") if key(doc) == ("Deployment", "cpts-web")]
    web["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["prot"] = 8000
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, kubernetes_validate.latest_version(), strict=True)


def test_every_variable_the_settings_read_is_wired_from_the_configmap_or_the_secret(production):
    from tests.platform.test_settings import _variables_read_by_settings

    config = production[("ConfigMap", "cpts-config")]["data"]
    secret = production[("Secret", "cpts-secrets")]["stringData"]
    assert set(config) & set(secret) == set()
    assert _variables_read_by_settings() - DEV_ONLY - set(config) - set(secret) == set()
    for kind, name in [("Deployment", "cpts-web"), ("Deployment", "cpts-worker-celery"), ("Deployment", "cpts-beat"),
                       ("Job", "cpts-migrate")]:  # fmt: skip
        (container,) = production[(kind, name)]["spec"]["template"]["spec"]["containers"]
        assert container["envFrom"] == [
            {"configMapRef": {"name": "cpts-config"}},
            {"secretRef": {"name": "cpts-secrets"}},
        ]
        assert container["image"] == "registry.example.org/cpts/platform:2026.12.1"


def test_the_production_shape(production):
    web = production[("Deployment", "cpts-web")]["spec"]["template"]["spec"]["containers"][0]
    paths = {"startupProbe": "/readyz", "readinessProbe": "/readyz", "livenessProbe": "/livez"}
    for probe, path in paths.items():
        assert web[probe]["httpGet"]["path"] == path
        assert web[probe]["httpGet"]["httpHeaders"] == [{"name": "Host", "value": "cpts-plateforme.fr"}]
    assert production[("ConfigMap", "cpts-config")]["data"]["PLATFORM_DOMAIN"] == "cpts-plateforme.fr"
    hpa = production[("HorizontalPodAutoscaler", "cpts-web")]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "cpts-web" and (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 12)
    beat = production[("Deployment", "cpts-beat")]["spec"]
    assert (beat["replicas"], beat["strategy"]["type"]) == (1, "Recreate")
    job = production[("Job", "cpts-migrate")]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"][:3] == [
        "python",
        "manage.py",
        "migrate_platform",
    ]
    assert job["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PreSync"
    pgbouncer = production[("ConfigMap", "pgbouncer-config")]["data"]["pgbouncer.ini"]
    assert "pool_mode = session" in pgbouncer
    assert "@pgbouncer:6432/" in production[("Secret", "cpts-secrets")]["stringData"]["DATABASE_URL"]
    workers = [
        doc for (kind, _name), doc in production.items() if kind == "Deployment" and "-worker-" in _name
    ]
    assert (
        all("-Q" in doc["spec"]["template"]["spec"]["containers"][0]["command"] for doc in workers)
        and workers
    )
    policies = {name for kind, name in production if kind == "NetworkPolicy"}
    assert {"default-deny-ingress", "web-from-ingress-controller", "pgbouncer-from-platform"} <= policies
    assert all(
        doc["metadata"].get("namespace") == "cpts" for k, doc in production.items() if k[0] != "Namespace"
    )
