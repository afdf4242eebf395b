"""`make test` needs a real PostgreSQL and Redis. Check that both answer; start them when
they are installed on this machine but stopped; otherwise say what to do and fail."""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
START_TIMEOUT_SECONDS = 30


class ServiceDown(Exception):
    pass


def _as_root(command: list[str]) -> list[str]:
    if os.geteuid() == 0 or shutil.which("sudo") is None:
        return command
    return ["sudo", "--non-interactive", *command]


def database_answer(url: str) -> None:
    """Connect and run a query: a port that accepts connections is not enough. The
    database itself is created when missing, so `makemigrations --check` can compare the
    migration history with it."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    # The server's own maintenance database: the named one may not exist yet.
    maintenance = parts._replace(path="/postgres").geturl()
    try:
        with psycopg.connect(maintenance, connect_timeout=3, autocommit=True) as connection:
            query = "SELECT 1 FROM pg_database WHERE datname = %s"
            if name and connection.execute(query, [name]).fetchone() is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise ServiceDown(str(error).strip()) from error


def broker_answer(url: str) -> None:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=3) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as error:
        raise ServiceDown(str(error)) from error
    # A server with a password answers -NOAUTH: it is up, and the URL carries the password.
    if not reply.startswith((b"+PONG", b"-NOAUTH")):
        raise ServiceDown(f"unexpected answer {reply!r}")


def start_postgresql() -> bool:
    clusters = Path("/etc/postgresql")
    if shutil.which("pg_ctlcluster") is None or not clusters.is_dir():
        return False
    for version in sorted(p.name for p in clusters.iterdir() if (p / "main").is_dir()):
        command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"]
        subprocess.run(_as_root(command), check=False)  # noqa: S603 (fixed command)
    return True


def start_redis(url: str) -> bool:
    if shutil.which("redis-server") is None:
        return False
    port = str(urlsplit(url).port or 6379)
    # A throwaway broker for tests: no snapshots, no append-only file.
    command = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", port]
    subprocess.run([*command, "--save", "", "--appendonly", "no"], check=False)  # noqa: S603
    return True


def ensure(
    *,
    name: str,
    url: str,
    answer: Callable[[str], None],
    start: Callable[[], bool],
    advice: str,
) -> str | None:
    """None when the service answers (after starting it if need be), else what to do."""
    try:
        answer(url)
        return None
    except ServiceDown as error:
        first_error = error
    host = urlsplit(url).hostname or ""
    if host in LOCAL_HOSTS and start():
        print(f"{name} was not answering at {host}; starting it.", flush=True)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            try:
                answer(url)
                return None
            except ServiceDown as error:
                first_error = error
                time.sleep(0.5)
    return f"{name} does not answer at {_without_password(url)}: {first_error}\n  {advice}"


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return parts.geturl()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True, help="PostgreSQL URL the tests use")
    parser.add_argument("--broker", required=True, help="Redis URL the tests use")
    args = parser.parse_args(argv)
    problems = [
        ensure(
            name="PostgreSQL",
            url=args.database,
            answer=database_answer,
            start=start_postgresql,
            advice=(
                "Install PostgreSQL 15 or newer (apt-get install -y postgresql) and let the user "
                "in the URL connect over TCP (pg_hba.conf), or run "
                "`make test TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/exotrack`."
            ),
        ),
        ensure(
            name="Redis",
            url=args.broker,
            answer=broker_answer,
            start=lambda: start_redis(args.broker),
            advice=(
                "Install Redis (apt-get install -y redis-server), or run "
                "`make test TEST_BROKER_URL=redis://HOST:6379/15`."
            ),
        ),
    ]
    problems = [problem for problem in problems if problem]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
