"""Reports, CSV exports and FHIR bulk exports read from a real PostgreSQL streaming
replica, and from the primary when the replica lags too far or is down.

The test starts a primary of its own (initdb in a temporary folder, the schema of this
run's test database loaded into it), a standby made by `pg_basebackup -R` on another
port, and runs the site against both as a deployment would (tests/integration/
replica_probe.py, configured by DATABASE_URL and DATABASE_REPLICA_URL). A figure that is
stale on purpose (replay paused after a write) proves where a read came from."""

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.integration

BIN_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; the Debian packages' postgres user runs it then.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Server:
    def __init__(self, bin_dir: Path, data: Path) -> None:
        self.bin_dir, self.data = bin_dir, data
        self.port = _free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/exotrack"

    def run(self, tool: str, *args: str) -> None:
        command = _as_server_user([str(self.bin_dir / tool), *args])
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{tool} failed:\n{done.stdout}{done.stderr}"

    def start(self) -> None:
        log = self.data.parent / f"{self.data.name}.log"
        self.run(
            "pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(log), "-o", f"-p {self.port}"
        )

    def stop(self) -> None:
        self.run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def query(self, statement: str, params: tuple = ()) -> object:
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute(statement, params).fetchone()
            return row[0] if row else None


@pytest.fixture
def primary_and_standby(db) -> Iterator[tuple[Server, Server]]:
    """A primary with this run's schema (`db`: the test database exists) and its standby."""
    # Every machine of the clinic's CI has Debian's PostgreSQL binaries: their absence is
    # a broken machine, reported as a failure rather than a quietly skipped test.
    assert BIN_DIRS, "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"
    bin_dir = Path(BIN_DIRS[-1])
    folder = Path(tempfile.mkdtemp(prefix="exotrack-replica-"))
    if os.geteuid() == 0:
        os.chown(folder, pwd.getpwnam("postgres").pw_uid, -1)
    primary = Server(bin_dir, folder / "primary")
    standby = Server(bin_dir, folder / "standby")
    try:
        primary.run("initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust", "-N")
        # TCP on 127.0.0.1 only; no socket in the machine's own folder. No fsync: the
        # data lives as long as the test.
        with (primary.data / "postgresql.conf").open("a") as conf:
            conf.write("listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n")
            conf.write("fsync = off\nwal_level = replica\nmax_wal_senders = 4\n")
        primary.start()
        _load_test_schema(bin_dir, primary)
        backup = f"-h 127.0.0.1 -p {primary.port} -U postgres -X stream -c fast -R -D"
        primary.run("pg_basebackup", *backup.split(), str(standby.data))
        standby.start()
        yield primary, standby
    finally:
        for server in (standby, primary):
            if (server.data / "postmaster.pid").exists():
                server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _load_test_schema(bin_dir: Path, primary: Server) -> None:
    """This run's test database (migrated, roles included) copied into the primary:
    seconds, where migrating afresh takes about a minute."""
    db = connection.settings_dict
    dump = [
        str(bin_dir / "pg_dump"),
        "--no-owner",
        "--no-privileges",
        f"--host={db['HOST'] or '127.0.0.1'}",
        f"--port={db['PORT'] or 5432}",
        f"--username={db['USER']}",
        db["NAME"],
    ]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    primary.run(
        "createdb", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "exotrack"
    )
    with subprocess.Popen(dump, stdout=subprocess.PIPE, env=env) as dumping:
        subprocess.run(
            [str(bin_dir / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-o", os.devnull, primary.url],
            stdin=dumping.stdout,
            check=True,
        )
    assert dumping.returncode == 0


def _site(primary: Server, standby: Server, *steps: str, max_lag: int, tmp_path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": primary.url,
        "DATABASE_REPLICA_URL": standby.url,
        "DATABASE_REPLICA_MAX_LAG_SECONDS": str(max_lag),
        "FHIR_EXPORT_DIR": str(tmp_path / "fhir"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.replica_probe", *steps],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_reports_read_the_replica_and_the_primary_when_it_lags_or_is_down(
    primary_and_standby, tmp_path
):
    primary, standby = primary_and_standby

    def site(*steps: str, max_lag: int = 30) -> dict:
        return _site(primary, standby, *steps, max_lag=max_lag, tmp_path=tmp_path)

    caught_up = site("write", "1", "replayed", "report", "fhir")
    assert caught_up["report_sources"] == ["replica", "replica"]
    assert caught_up["fhir_source"] == "replica"
    episodes, patients = caught_up["episodes"], caught_up["fhir_patients"]
    assert episodes >= 1
    assert caught_up["export_rows"] == episodes
    # The access log rows and the export job went to the primary (a standby refuses writes).
    assert primary.query("SELECT count(*) FROM audit_accesslog WHERE action = 'export'") >= 1

    # Replay paused, a second episode recorded: the replica is behind. Allowed to lag an
    # hour, the reports read the replica: the figure is stale.
    standby.query("SELECT pg_wal_replay_pause()")
    stale = site("write", "2", "report", max_lag=3600)
    assert stale["report_sources"] == ["replica", "replica"]
    assert (stale["episodes"], stale["export_rows"]) == (episodes, episodes)

    # Allowed no lag, they read the primary; the bulk export waits no longer either, and
    # holds the patient recorded before it started.
    strict = site("report", "fhir", max_lag=0)
    assert strict["report_sources"] == ["default", "default"]
    assert strict["fhir_source"] == "default"
    assert (strict["episodes"], strict["export_rows"]) == (episodes + 1, episodes + 1)
    assert strict["fhir_patients"] == patients + 1

    # The replica down: everything reads the primary, nobody sees an error.
    standby.stop()
    down = site("report", "fhir")
    assert down["report_sources"] == ["default", "default"]
    assert down["fhir_source"] == "default"
    assert down["episodes"] == episodes + 1
