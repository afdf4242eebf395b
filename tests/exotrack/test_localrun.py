"""`make run`: the private PostgreSQL and the launcher that starts web, worker and beat."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings

from exotrack.local import run, services

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A folder with a short path: PostgreSQL's unix socket path must fit in 107 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="exo-"))
    yield folder
    postmaster = folder / "pgdata" / "postmaster.pid"
    if postmaster.exists():
        # A failed test must not leave a server running.
        pid = int(postmaster.read_text().split()[0])
        with_signal(pid, signal.SIGQUIT)
    shutil.rmtree(folder, ignore_errors=True)


def with_signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def test_folders_for_the_filesystem_broker_and_the_mailbox(tmp_path):
    run.prepare_folders(tmp_path)

    for folder in ("mail", "broker/queue", "broker/processed", "broker/control"):
        assert (tmp_path / folder).is_dir()
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o700
    run.prepare_folders(tmp_path)  # a second run finds them in place


def test_the_callers_settings_win_over_the_local_defaults():
    env = run.local_environment({"DEBUG": "false", "PATH": "/usr/bin"})

    assert env["DEBUG"] == "false"
    assert env["SECURE_COOKIES"] == "false"
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.base"
    assert env["PATH"].split(os.pathsep) == [str(Path(sys.executable).parent), "/usr/bin"]
    assert run.local_environment({})["DEBUG"] == "true"


def test_the_private_database_has_trigram_search_and_is_stopped_by_its_starter(short_tmp):
    database = run.EmbeddedDatabase(var_dir=short_tmp)
    url = database.start()
    try:
        assert database.started_here
        assert (short_tmp / "database_url").read_text().strip() == url
        with psycopg.connect(url) as connection:
            connection.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            version = connection.execute("SHOW server_version_num").fetchone()[0]
            match = connection.execute("SELECT similarity('Jonh Smiht', 'John Smith')").fetchone()
        assert int(version) >= 160000
        assert match[0] > 0.2

        # A second launcher finds it running: it uses it and leaves it to the first.
        second = run.EmbeddedDatabase(var_dir=short_tmp)
        assert second.start() == url
        assert not second.started_here
        second.stop()
        with psycopg.connect(url) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)
    finally:
        database.stop()

    assert not (short_tmp / "pgdata" / "postmaster.pid").exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Launcher:
    """`python -m exotrack.local.run` as `make run` starts it, in its own process group
    so a test can press Ctrl-C the way a terminal does (to the whole group)."""

    def __init__(self, *, var_dir: Path, port: int) -> None:
        self.log_path = var_dir / "launcher.log"
        self.address = f"http://127.0.0.1:{port}"
        self.env = {
            key: value
            for key, value in os.environ.items()
            # Nothing set: the embedded defaults, as on a fresh machine.
            if key
            not in {"DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "DJANGO_SETTINGS_MODULE"}
        }
        self.env.update(VAR_DIR=str(var_dir), PORT=str(port))
        self.process: subprocess.Popen | None = None
        self.offset = 0

    def start(self) -> None:
        self.offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "exotrack.local.run"],
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_for_log("ExoTrack is running at", timeout=240)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[self.offset :]

    def wait_for_log(self, text: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            assert self.process.poll() is None, f"launcher exited\n{self.log()}"
            assert time.monotonic() < deadline, f"no {text!r} after {timeout}s\n{self.log()}"
            time.sleep(0.5)

    def get(self, path: str, session: requests.Session | None = None) -> requests.Response:
        # The development server restarts when a source file changes: allow for that.
        deadline = time.monotonic() + 30
        while True:
            try:
                return (session or requests).get(self.address + path, timeout=10)
            except requests.ConnectionError:
                assert time.monotonic() < deadline, self.log()
                time.sleep(0.5)

    def stop(self, signum: int, *, to_group: bool) -> int:
        if to_group:
            os.killpg(self.process.pid, signum)
        else:
            self.process.send_signal(signum)
        return self.process.wait(timeout=60)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _enqueue_heartbeat(env: dict) -> None:
    """Send one task through the filesystem broker, as beat does every minute."""
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from exotrack.tasks import worker_heartbeat; worker_heartbeat.delay()",
        ],
        cwd=BASE_DIR,
        # As `make run` starts beat: the base settings in debug mode, with its local key.
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.base", "DEBUG": "true"},
        check=True,
        capture_output=True,
    )


@pytest.mark.integration
def test_make_run_serves_the_clinic_runs_tasks_and_stops_everything(short_tmp):
    launcher = Launcher(var_dir=short_tmp, port=_free_port())
    try:
        launcher.start()
        assert (short_tmp / "database_url").read_text().startswith("postgresql://")
        assert "with the password exotrack-demo-2026" in launcher.log()

        # A demo account signs in over plain http (cookies are not marked Secure).
        session = requests.Session()
        sign_in = launcher.get("/accounts/login/", session)
        assert sign_in.status_code == 200
        answer = session.post(
            launcher.address + "/accounts/login/",
            data={
                "username": "manager",
                "password": "exotrack-demo-2026",
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            headers={"Referer": launcher.address + "/accounts/login/"},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302, answer.text[:2000]
        assert launcher.get("/", session).status_code == 200

        health = launcher.get("/healthz").json()
        assert (health["status"], health["database"], health["broker"]) == ("ok", "ok", "ok")
        assert health["worker_heartbeat"] is None

        # The worker takes tasks from the filesystem broker.
        _enqueue_heartbeat(launcher.env)
        deadline = time.monotonic() + 60
        while launcher.get("/healthz").json()["worker_heartbeat"] is None:
            assert time.monotonic() < deadline, launcher.log()
            time.sleep(0.5)
        assert "beat: Starting..." in launcher.log()

        # A service manager's SIGTERM to the launcher alone stops everything.
        assert launcher.stop(signal.SIGTERM, to_group=False) == 0
        assert "Stopped the private PostgreSQL" in launcher.log()
        assert not (short_tmp / "pgdata" / "postmaster.pid").exists()
        with pytest.raises(requests.ConnectionError):
            requests.get(launcher.address + "/healthz", timeout=5)

        # The second run starts on the same data: the first run's heartbeat is there.
        launcher.start()
        assert launcher.get("/healthz").json()["worker_heartbeat"] is not None

        # Ctrl-C in the terminal reaches the whole process group.
        assert launcher.stop(signal.SIGINT, to_group=True) == 0
        assert "Stopped the private PostgreSQL" in launcher.log()
        assert not (short_tmp / "pgdata" / "postmaster.pid").exists()
        assert "Traceback" not in launcher.log_path.read_text(errors="replace")
    finally:
        launcher.kill()


def test_make_test_creates_its_database_when_missing():
    database = settings.DATABASES["default"]
    name = f"exotrack_check_{os.getpid()}"
    host = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    url = f"postgres://{database['USER']}@{host}/{name}"
    try:
        services.database_answer(url)

        with psycopg.connect(url, connect_timeout=3) as connection:
            assert connection.execute("SELECT current_database()").fetchone() == (name,)
        services.database_answer(url)  # a second check finds it in place
    finally:
        maintenance = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_a_broker_that_is_down_is_started_when_redis_is_installed():
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with pytest.raises(services.ServiceDown):
        services.broker_answer(url)

    try:
        problem = services.ensure(
            name="Redis",
            url=url,
            answer=services.broker_answer,
            start=lambda: services.start_redis(url),
            advice="install Redis",
        )
        assert problem is None
        services.broker_answer(url)
    finally:
        # The test's own server goes away; a failed start leaves nothing to stop.
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"SHUTDOWN NOSAVE\r\n")


def test_a_service_that_cannot_be_started_is_explained():
    problem = services.ensure(
        name="PostgreSQL",
        url="postgres://postgres:secret@127.0.0.1:1/exotrack",
        answer=services.database_answer,
        start=lambda: False,  # not installed here
        advice="Install PostgreSQL 15 or newer.",
    )

    assert problem.startswith("PostgreSQL does not answer at postgres://postgres:***@127.0.0.1:1/")
    assert "secret" not in problem
    assert problem.endswith("Install PostgreSQL 15 or newer.")


def test_links_in_e_mails_follow_the_port_make_run_serves_on():
    assert run.local_environment({"PORT": "8001"})["SITE_URL"] == "http://127.0.0.1:8001"
    assert run.local_environment({})["SITE_URL"] == "http://127.0.0.1:8000"
    chosen = {"PORT": "8001", "SITE_URL": "https://clinic.example"}
    assert run.local_environment(chosen)["SITE_URL"] == "https://clinic.example"
