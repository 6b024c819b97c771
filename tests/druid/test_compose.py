"""The compose file and Dockerfile, parsed: services, pinned images, profiles, volumes, healthchecks.

Docker cannot run here, so these are structural checks of what ``docker compose`` would read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
DRUID_SERVICES = ("coordinator", "broker", "historical", "middlemanager", "router")
CLUSTER = ("postgres", "zookeeper", *DRUID_SERVICES)
ONE_OFF = {name for name, s in SERVICES.items() if s.get("restart") == "no"}


def env_file(path: str) -> dict[str, str]:
    pairs = {}
    for line in (REPO / path).read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value
    return pairs


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """volume name -> path inside the container"""
    return dict(v.split(":")[:2] for v in service.get("volumes", []))


def depends(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on", {})
    return {d: {} for d in deps} if isinstance(deps, list) else deps


def test_the_app_redis_and_a_whole_druid_cluster_are_declared() -> None:
    assert {"app", "redis", *CLUSTER} <= set(SERVICES)
    for name in DRUID_SERVICES:
        assert SERVICES[name]["command"] == [{"middlemanager": "middleManager"}.get(name, name)]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_image_is_pinned(name: str) -> None:
    image = SERVICES[name]["image"]
    repo, _, tag = image.rpartition(":")
    assert repo and tag and tag != "latest", image
    assert re.fullmatch(r"\d+(\.\d+)*(-[a-z]+)?", tag), f"{image}: pin a version, not a moving name"


def test_one_druid_release_for_every_druid_service() -> None:
    images = {SERVICES[name]["image"] for name in DRUID_SERVICES}
    (image,) = images
    assert re.fullmatch(r"apache/druid:\d+\.\d+\.\d+", image)
    assert SERVICES["postgres"]["image"].startswith("postgres:17.")  # postgres 18 refuses this data mount


def test_plain_up_is_the_app_and_redis_and_the_cluster_is_a_profile() -> None:
    default = {name for name, s in SERVICES.items() if not s.get("profiles")}
    assert default == {"app", "redis"}
    for name in (*CLUSTER, *ONE_OFF):
        assert SERVICES[name]["profiles"] == ["druid"]
    # A default service may only depend on a profiled one when the dependency is optional,
    # otherwise plain `docker compose up` is an invalid project.
    for name in default:
        for dep, spec in depends(SERVICES[name]).items():
            assert dep in SERVICES
            if SERVICES[dep].get("profiles"):
                assert spec.get("required") is False, f"{name} -> {dep}"


def test_the_app_waits_for_the_routers_health() -> None:
    deps = depends(SERVICES["app"])
    assert deps["router"]["condition"] == "service_healthy"
    assert deps["broker"]["condition"] == "service_healthy"
    assert SERVICES["router"]["healthcheck"]["test"][-1].count("8888/status/health") == 1
    entrypoint = (REPO / "docker/entrypoint.sh").read_text()
    assert "/status/health" in entrypoint and "exec mauzo serve" in entrypoint


@pytest.mark.parametrize("name", sorted(set(SERVICES) - ONE_OFF))
def test_every_long_running_service_has_a_healthcheck(name: str) -> None:
    test = SERVICES[name]["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1


def test_cluster_start_order_follows_health() -> None:
    for name in DRUID_SERVICES:
        for dep, spec in depends(SERVICES[name]).items():
            assert spec.get("condition") in ("service_healthy", "service_completed_successfully"), (name, dep)
    assert set(depends(SERVICES["coordinator"])) == {"zookeeper", "postgres"}


def test_volumes_are_named_and_declared() -> None:
    declared = set(COMPOSE["volumes"])
    used = {volume for s in SERVICES.values() for volume in mounts(s)}
    assert used == declared
    assert not any(v.startswith((".", "/", "~")) for v in used)  # no bind mounts
    assert mounts(SERVICES["postgres"])["druid-metadata"] == "/var/lib/postgresql/data"
    for name in ("coordinator", "historical", "middlemanager"):
        assert mounts(SERVICES[name])["druid-shared"] == "/opt/shared"  # deep storage and task logs


def test_the_ingest_volume_is_shared_by_the_app_and_the_middlemanager_at_the_configured_path() -> None:
    app_env = SERVICES["app"]["environment"]
    path = app_env["DRUID_INGEST_DIR"]
    assert app_env["DRUID_INGEST_METHOD"] == "local"
    assert mounts(SERVICES["app"])["mauzo-ingest"] == path
    assert mounts(SERVICES["middlemanager"])["mauzo-ingest"] == path
    init = SERVICES["ingest-volume"]
    assert mounts(init)["mauzo-ingest"] == path and "chown 1000:1000 " + path in init["command"][0]
    assert depends(SERVICES["middlemanager"])["ingest-volume"]["condition"] == "service_completed_successfully"


def test_druid_environment_lives_in_its_file_and_matches_postgres() -> None:
    for name in DRUID_SERVICES:
        assert SERVICES[name]["env_file"] == "docker/druid.env"
    env = env_file("docker/druid.env")
    assert "druid-multi-stage-query" in env["druid_extensions_loadList"]
    assert "postgresql-metadata-storage" in env["druid_extensions_loadList"]
    postgres = SERVICES["postgres"]["environment"]
    assert env["druid_metadata_storage_connector_user"] == postgres["POSTGRES_USER"]
    assert env["druid_metadata_storage_connector_password"] == postgres["POSTGRES_PASSWORD"]
    assert env["druid_metadata_storage_connector_connectURI"].endswith(f"//postgres:5432/{postgres['POSTGRES_DB']}")
    assert env["druid_zk_service_host"] == "zookeeper"
    assert SERVICES["app"]["environment"]["DRUID_URL"] == "http://router:8888"


def test_dockerfile_is_slim_non_root_and_serves_through_gunicorn() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    (base,) = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.M)
    assert re.fullmatch(r"python:3\.11[\w.-]*-slim[\w.-]*", base)
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["mauzo-entrypoint"\]', dockerfile, flags=re.M)
    assert "app.wsgi:server" in (REPO / "ingest/cli.py").read_text()  # what `mauzo serve` runs
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".venv", "var", ".git"} <= set(ignored)
