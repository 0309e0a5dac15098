"""The deployment files say what deploy/README.md promises (no Docker needed to check)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import yaml

from bot.settings import load_settings
from storage import migrations

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (REPO / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (parts[0].upper(), parts[1].strip() if len(parts) > 1 else "")
        for parts in (line.strip().split(None, 1) for line in joined.splitlines())
        if parts
    ]


def nginx_config() -> str:
    text = (REPO / "deploy" / "nginx.conf").read_text()
    return re.sub(r"#[^\n]*", "", text)  # comments (no '#' is used inside values)


def locations(config: str) -> dict[str, str]:
    """`location [=] PATH { body }` blocks, keyed by their (modifier and) path."""
    return {
        (f"= {exact}" if exact else prefix): body
        for exact, prefix, body in re.findall(
            r"location\s+(?:=\s*(\S+)|(\S+))\s*\{([^{}]*)\}", config
        )
    }


def upstream_of(body: str, config: str) -> str | None:
    """Where a location's proxy_pass goes, with `set $var value;` variables expanded."""
    match = re.search(r"proxy_pass\s+([^;]+);", body)
    if match is None:
        return None
    target = match.group(1).strip()
    for name, value in re.findall(r"\bset\s+\$(\w+)\s+([^;]+);", config):
        target = target.replace(f"${name}", value.strip())
    return target


# -- docker-compose.yml ----------------------------------------------------------------------


def test_bot_runs_two_replicas_without_published_ports(compose: dict) -> None:
    bot = compose["services"]["bot"]
    assert bot["deploy"]["replicas"] == 2
    assert "ports" not in bot
    assert bot["build"] in (".", {"context": "."})
    assert bot["env_file"] in (".env", [".env"])
    assert bot["stop_grace_period"] == "30s"


def test_bot_waits_for_a_healthy_database_and_uses_it(compose: dict) -> None:
    db = compose["services"]["db"]
    bot = compose["services"]["bot"]
    assert db["image"].startswith("pgvector/pgvector:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert re.fullmatch(r"postgresql://[^@]+@db:5432/\w+", bot["environment"]["DATABASE_URL"])
    # nginx forwards to bot:8080, so the compose file pins the port the bot listens on.
    assert str(bot["environment"]["WEBHOOK_PORT"]) == "8080"


def test_proxy_mounts_the_nginx_config_and_publishes_its_listen_port(compose: dict) -> None:
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith("nginx:")
    mounts = [volume.split(":") for volume in proxy["volumes"]]
    [source] = [src for src, target, *_ in mounts if target.startswith("/etc/nginx/")]
    assert (REPO / source).resolve() == REPO / "deploy" / "nginx.conf"
    listen = re.search(r"\blisten\s+(\d+)\s*;", nginx_config())
    assert listen is not None
    published = [str(port).rsplit(":", 1)[-1] for port in proxy["ports"]]
    assert listen.group(1) in published


# -- deploy/nginx.conf -----------------------------------------------------------------------


def test_proxy_routes_the_webhook_path_and_probes_to_the_bot_replicas() -> None:
    config = nginx_config()
    blocks = locations(config)
    # The path the bot serves always starts with /telegram/ (see Settings.webhook_path).
    path = load_settings(
        _env_file=None, webhook_url="https://bot.example.com/telegram/updates"
    ).webhook_path
    assert path.startswith("/telegram/")
    for location in ("/telegram/", "= /healthz", "= /readyz", "/verify"):
        assert upstream_of(blocks[location], config) == "http://bot:8080", location
    # Through Docker's DNS, re-resolved, so every replica (also after --scale) gets traffic.
    assert re.search(r"\bresolver\s+127\.0\.0\.11\b[^;]*valid=", config)


def test_proxy_does_not_expose_metrics_or_anything_else() -> None:
    config = nginx_config()
    blocks = locations(config)
    forwarded = {name for name, body in blocks.items() if "proxy_pass" in body}
    assert forwarded == {"/telegram/", "= /healthz", "= /readyz", "/verify"}
    assert re.search(r"return\s+404\s*;", blocks["/"])


def test_proxy_retries_a_refused_post_on_another_replica() -> None:
    config = nginx_config()
    match = re.search(r"proxy_next_upstream\s+([^;]+);", config)
    assert match is not None
    options = match.group(1).split()
    assert {"error", "timeout", "http_503", "non_idempotent"} <= set(options)
    assert re.search(r"client_max_body_size\s+1m\s*;", config)


# -- Dockerfile and .dockerignore ------------------------------------------------------------


def test_container_migrates_then_execs_the_bot(dockerfile: list[tuple[str, str]]) -> None:
    [cmd] = [args for instruction, args in dockerfile if instruction == "CMD"]
    argv = json.loads(cmd)  # exec form: no extra shell between Docker and `sh -c`
    assert argv[:2] == ["sh", "-c"]
    steps = [shlex.split(step) for step in argv[2].split("&&")]
    assert steps == [["tutorbot", "migrate"], ["exec", "tutorbot", "run"]]
    assert ("STOPSIGNAL", "SIGTERM") in dockerfile


def test_image_is_slim_non_root_and_health_checked(dockerfile: list[tuple[str, str]]) -> None:
    assert dockerfile[0] == ("FROM", "python:3.11-slim")
    users = [args for instruction, args in dockerfile if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    [healthcheck] = [args for instruction, args in dockerfile if instruction == "HEALTHCHECK"]
    assert "/healthz" in healthcheck


def test_image_keeps_migrations_where_the_runner_looks(
    dockerfile: list[tuple[str, str]],
) -> None:
    # The runner finds migrations/ next to the storage package, so the packages must stay
    # in the source tree (editable install), with migrations/ copied beside them.
    assert migrations.DEFAULT_DIR == REPO / "migrations"
    copies = {args for instruction, args in dockerfile if instruction == "COPY"}
    assert {"storage ./storage", "migrations ./migrations", "courses ./courses"} <= copies
    [install] = [args for instruction, args in dockerfile if "pip install" in args]
    assert re.search(r"pip install -e \.", install)


def test_build_context_leaves_out_secrets_and_local_state() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", "data", "tests", "**/__pycache__"} <= ignored
