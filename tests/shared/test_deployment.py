"""docker-compose.yml and the gateway config, checked by reading (no Docker engine here)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"appointments": 8001, "screening": 8002, "discharge": 8003}


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_each_service_on_its_contract_port_after_migrations():
    services = _compose()["services"]
    assert {"postgres", "migrate", "gateway", *SERVICES} <= set(services)
    assert "healthcheck" in services["postgres"]
    for name, port in SERVICES.items():
        svc = services[name]
        assert f"services.{name}.main:app" in svc["command"]
        assert f"--port {port}" in svc["command"]
        assert str(port) in " ".join(svc["healthcheck"]["test"])
        assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        env = svc["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["DATABASE_URL"].endswith(f"/wardgate_{name}")
        assert {"AUTH_JWKS_FILE", "AUTH_ISSUER", "AUTH_AUDIENCE", "WARDGATE_TIMEZONE"} <= set(env)
    assert services["discharge"]["environment"]["SCREENING_URL"] == "http://screening:8002"
    assert services["appointments"]["environment"]["SCREENING_URL"] == "http://screening:8002"
    assert services["screening"]["environment"]["APPOINTMENTS_URL"] == "http://appointments:8001"
    gateway_deps = services["gateway"]["depends_on"]
    assert all(gateway_deps[n]["condition"] == "service_healthy" for n in SERVICES)


def test_migrate_job_migrates_every_service_database():
    command = " ".join(_compose()["services"]["migrate"]["command"])
    for name in SERVICES:
        assert f"wardgate migrate {name}" in command


def test_no_secret_is_written_into_compose():
    for name, svc in _compose()["services"].items():
        for key, value in (svc.get("environment") or {}).items():
            if "PASSWORD" in key or "SECRET" in key:
                assert str(value).startswith("${"), (name, key)
            if "DATABASE_URL" in key or key.endswith("_DB"):
                assert re.search(r":\$\{[A-Z_]+\}@", value), (name, key)
    assert "PRIVATE KEY" not in (ROOT / "docker-compose.yml").read_text()


def test_gateway_routes_each_prefix_to_its_service():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for name, port in SERVICES.items():
        assert f"server {name}:{port}" in conf
        assert re.search(rf"location /{name}/\s*{{\s*proxy_pass http://{name}/;", conf)
    assert "client_max_body_size 10m" in conf


def test_services_believe_x_forwarded_for_from_the_gateway_only():
    compose = _compose()
    gateway_ip = compose["services"]["gateway"]["networks"]["default"]["ipv4_address"]
    for name in SERVICES:
        svc = compose["services"][name]
        assert f"--forwarded-allow-ips {gateway_ip}" in svc["command"]
        assert svc["environment"]["WARDGATE_TRUSTED_PROXIES"] == gateway_ip
        assert svc["environment"]["WARDGATE_SESSION_STORE"].startswith("/var/lib/wardgate-web/")
        assert "websessions:/var/lib/wardgate-web" in svc["volumes"]
