"""Production configuration: Django's deployment checks, the image's health check, and the
deployment files (docker-compose.yml, README) kept in step with what the settings read."""

import ast
import gc
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import yaml
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
SETTINGS_FILE = BASE_DIR / "config" / "settings" / "base.py"
PRODUCTION_HOST = "clinic.example.org"


def production_environment(**extra: str) -> dict[str, str]:
    """The environment of a real deployment, with nothing inherited from the test run."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=PRODUCTION_HOST,
        DATABASE_URL="postgres://exotrack:Vq8sT2pL@db.clinic.internal:5432/exotrack",
        CELERY_BROKER_URL="redis://redis.clinic.internal:6379/0",
        CACHE_URL="redis://redis.clinic.internal:6379/1",
        EMAIL_URL="smtp+tls://reminders:Sx93kd@smtp.clinic.example.org:587",
    )
    env.update(extra)
    return env


def test_deploy_checks_pass_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_checks_catch_a_debug_server():
    """The check above can fail: the same run with DEBUG on is refused."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_environment(DEBUG="true"),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG in deployment


def test_static_files_collect_with_production_settings(tmp_path):
    """As the image build runs it: hashed names for every file the templates reference."""
    script = (
        "import django; from django.conf import settings; django.setup(); "
        f"settings.STATIC_ROOT = {str(tmp_path)!r}; "
        "from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())
    assert "exotrack/site.css" in manifest["paths"]
    assert (tmp_path / manifest["paths"]["exotrack/site.css"]).exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dockerfile_healthcheck() -> list[str]:
    text = (BASE_DIR / "Dockerfile").read_text().replace("\\\n", " ")
    match = re.search(r"^HEALTHCHECK .*?CMD (\[.*\])$", text, re.MULTILINE)
    assert match, "the Dockerfile needs a HEALTHCHECK"
    return json.loads(match.group(1))


def test_the_image_health_check_passes_against_a_production_server(tmp_path, db):
    """gunicorn with production settings on the test database and broker; the Dockerfile's
    HEALTHCHECK command, pointed at it, succeeds; an ordinary page redirects to https."""
    database = settings.DATABASES["default"]
    port = _free_port()
    env = production_environment(
        DATABASE_URL=(
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
    )
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--config",
            "python:config.gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        command = [part.replace(":8000/", f":{port}/") for part in _dockerfile_healthcheck()]
        command[0] = sys.executable  # the image's python is this one's twin
        deadline = time.monotonic() + 60
        while True:
            check = subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)
            if check.returncode == 0:
                break
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, check.stderr
            time.sleep(0.5)

        page = requests.get(
            f"http://127.0.0.1:{port}/accounts/login/",
            headers={"Host": PRODUCTION_HOST},
            allow_redirects=False,
            timeout=10,
        )
        assert page.status_code == 301
        assert page.headers["Location"] == f"https://{PRODUCTION_HOST}/accounts/login/"
        # An unknown host name is refused, the health check's included.
        stranger = requests.get(
            f"http://127.0.0.1:{port}/healthz", headers={"Host": "evil.example"}, timeout=10
        )
        assert stranger.status_code == 400
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def settings_environment_variables() -> set[str]:
    """Every variable base.py reads through django-environ (`env.str("NAME", ...)` etc.)."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "env"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(node.args[0].value)
    return names


def gunicorn_environment_variables() -> set[str]:
    """Every variable config/gunicorn.py reads (`os.environ.get("NAME", ...)`)."""
    source = (BASE_DIR / "config" / "gunicorn.py").read_text()
    return set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', source))


def test_the_readme_documents_every_setting():
    documented = set(
        re.findall(r"^\| `([A-Z_]+)` \|", (BASE_DIR / "README.md").read_text(), re.MULTILINE)
    )
    assert gunicorn_environment_variables() == {"WEB_CONCURRENCY", "GUNICORN_TIMEOUT"}
    read = settings_environment_variables() | gunicorn_environment_variables()

    assert {"DATABASE_URL", "SECRET_KEY", "CELERY_BROKER_URL"} <= read
    assert read - documented == set(), "add these to the settings table in README.md"
    assert documented - read == set(), "README.md documents settings that are not read"


def test_compose_wires_the_settings_the_application_reads():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    read = settings_environment_variables()

    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    for name in ("web", "worker", "beat", "migrate"):
        environment = services[name]["environment"]
        assert set(environment) <= read, f"{name} sets variables the settings never read"
        assert {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SECRET_KEY"} <= set(environment)
        assert environment["DEBUG"] == "false"
        assert environment["DATABASE_URL"].split("@")[1] == "postgres:5432/exotrack"
        assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
    # PostgreSQL 16 or newer (pg_trgm ships with it), and every dependency has a health
    # check the application services wait for.
    assert int(re.match(r"postgres:(\d+)", services["postgres"]["image"]).group(1)) >= 16
    for name in ("postgres", "redis"):
        assert services[name]["healthcheck"]["test"]
        assert services["web"]["depends_on"][name]["condition"] == "service_healthy"
    assert services["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    worker = shlex.join(services["worker"]["command"])
    assert worker.startswith("celery -A config worker")
    assert shlex.join(services["beat"]["command"]).startswith("celery -A config beat")


def _settings_value(name: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    script = f"import django; from django.conf import settings; print(repr(settings.{name}))"
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_real_secret_key():
    env = production_environment()
    del env["SECRET_KEY"]

    result = _settings_value("SECRET_KEY", env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_deploy_checks_fail_with_the_published_local_key():
    env = production_environment(DEBUG="true")
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout  # a published, insecure key


def test_production_refuses_a_per_process_cache():
    result = _settings_value("CACHES", production_environment(CACHE_URL="locmemcache://"))

    assert result.returncode != 0
    assert "ImproperlyConfigured: CACHE_URL names an in-process cache" in result.stderr


def test_the_forwarded_protocol_is_believed_only_behind_a_trusted_proxy():
    direct = _settings_value("SECURE_PROXY_SSL_HEADER", production_environment())
    proxied = _settings_value(
        "SECURE_PROXY_SSL_HEADER", production_environment(TRUSTED_PROXY_COUNT="1")
    )

    assert direct.stdout.strip() == "None", direct.stderr
    assert proxied.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')", proxied.stderr


def test_a_web_worker_keeps_its_loaded_code_out_of_the_collector():
    from config import gunicorn

    try:
        frozen_before = gc.get_freeze_count()
        gunicorn.post_worker_init(worker=None)
        assert gc.get_freeze_count() > frozen_before
    finally:
        gc.unfreeze()
