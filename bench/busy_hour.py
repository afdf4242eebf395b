"""A busy hour at the clinic: locust (bench/locustfile.py) against gunicorn run as the
image runs it, for 20 and then 50 clinicians with 1-3 s of thought between steps.

    .venv/bin/python bench/busy_hour.py [--users 20 50] [--minutes 5] [--database exotrack_bench]

For each number of users: starts `gunicorn --config python:config.gunicorn config.wsgi`
(workers and timeout from config/gunicorn.py, the production settings
config.settings.base with DEBUG off) on 127.0.0.1, runs locust headless for the given
time, stops both, and reads gunicorn's log for errors. Writes bench/results/busy_hour.md:
requests/s, p50/p95/p99 per page, errors, each page's share of the time users waited,
the server's CPU time per request and the load average through the run.

Sign-in is the real one: the bench's own clinician accounts (bench-busy-01 ...) with a
password set for this run and an authenticator app enrolled through the service, whose
code locust computes as the phone would. Each visit recorded is written to the database
(capped by --max-visits per run); nothing else changes.
"""

import argparse
import json
import os
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import psycopg
import requests
from _common import BENCH_DATABASE_URL, ROOT, database_size, machine, setup_django, write_section

PORT = 8791
# gunicorn's connections carry this name, so what they wait on in PostgreSQL can be sampled.
APPLICATION_NAME = "exotrack-busy-hour"
# gunicorn's access log with each request's time in the worker (%(M)s, milliseconds).
ACCESS_FORMAT = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)s'
_ACCESS = re.compile(r'^\S+ \[([^\]]+)\] "(\S+) (\S+) [^"]*" (\d{3}) \S+ (\d+)$')
ACCOUNT_PREFIX = "bench-busy-"
EXPORT_DAYS = 7


def _prepare(users: int, data_path: Path) -> int:
    """The accounts, patients, search terms and sites locust needs; returns how many
    visits the bench accounts have recorded so far."""
    from binascii import unhexlify

    from django.utils import timezone
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apps.accounts.services import second_factor as mfa
    from apps.accounts.services import staff_user_seed
    from apps.patients.models import Patient
    from apps.treatments.models import TreatmentSite
    from exotrack.roles import CLINICIAN, ensure_roles

    ensure_roles()
    accounts = []
    for number in range(1, users + 1):
        password = secrets.token_urlsafe(16)
        user, _ = staff_user_seed(
            username=f"{ACCOUNT_PREFIX}{number:02d}",
            role=CLINICIAN,
            password=password,
            first_name="Bench",
            last_name=f"Clinician {number:02d}",
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            key = mfa.authenticator_key_new()
            code = f"{TOTP(unhexlify(key.encode())).token():06d}"
            device = mfa.authenticator_enrol(user=user, key=key, code=code, name="Bench")
        accounts.append(
            {
                "username": user.username,
                "password": password,
                "totp_key": device.key,
                "last_step": device.last_t,
            }
        )
    patients = list(
        Patient.objects.filter(voided_at__isnull=True)
        .order_by("?")
        .values("id", "first_name", "last_name", "mrn")[:2000]
    )
    searches = []
    for i, patient in enumerate(patients[:600]):
        kind = i % 3
        searches.append(
            patient["last_name"]
            if kind == 0
            else f"{patient['first_name']} {patient['last_name']}"
            if kind == 1
            else patient["mrn"]
        )
    sites = {
        str(site.pk): {
            "billions": str((site.dose_min_billions + site.dose_max_billions) / 2),
            "laterality": site.laterality_applies,
        }
        for site in TreatmentSite.objects.filter(active=True)
    }
    today = timezone.localdate()
    week_ago = today - timezone.timedelta(days=EXPORT_DAYS)
    data = {
        "accounts": accounts,
        "patients": [p["id"] for p in patients],
        "searches": searches,
        "sites": sites,
        # The adverse events of the last week, as a clinician exports them for a review.
        "export": f"/reports/exports/adverse-events.csv?date_from={week_ago}&date_to={today}",
    }
    data_path.write_text(json.dumps(data), encoding="utf-8")
    return _bench_visits()


def _bench_visits() -> int:
    from apps.treatments.models import Visit

    return Visit.objects.filter(created_by__username__startswith=ACCOUNT_PREFIX).count()


def _server_env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"{database_url}?application_name={APPLICATION_NAME}",
        "DEBUG": "false",
        # Plain http on 127.0.0.1: no TLS redirect, cookies not marked Secure.
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        # Queued tasks (follow-up reminders of the visits) and e-mails stay in this run's folder.
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
    }
    # The production rule: every staff role passes a second factor.
    env.pop("MFA_REQUIRED_ROLES", None)
    env.pop("CELERY_BROKER_URL", None)
    return env


def _start_gunicorn(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = log_path.open("w", encoding="utf-8")
    server = subprocess.Popen(
        [
            str(gunicorn),
            *("--config", "python:config.gunicorn"),
            *("--bind", f"127.0.0.1:{PORT}"),
            # Other gunicorns on this machine use the default control socket.
            "--no-control-socket",
            *("--access-logformat", ACCESS_FORMAT),
            "config.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(600):
        try:
            requests.get(f"http://127.0.0.1:{PORT}/accounts/login/", timeout=10)
            return server
        except requests.RequestException:
            if server.poll() is not None:
                break
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn did not answer: see {log_path}")


def _wait(process: subprocess.Popen, timeout: float) -> float:
    """Wait for a child and return the CPU seconds it and its own children used."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        time.sleep(0.2)
    process.kill()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def _tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its living children (gunicorn's workers)."""
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for each in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class _LoadSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(5):
            self.samples.append(os.getloadavg()[0])


class _DatabaseSampler(threading.Thread):
    """What gunicorn's connections are doing in PostgreSQL, twice a second: the
    statements running (their first words) and what they wait on."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.ticks = 0
        self.active: list[int] = []
        self.statements: dict[str, int] = defaultdict(int)
        self.waits: dict[str, int] = defaultdict(int)
        self.stop = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            while not self.stop.wait(0.5):
                rows = connection.execute(
                    "SELECT query, coalesce(wait_event_type || ':' || wait_event, 'CPU') "
                    "FROM pg_stat_activity WHERE application_name = %s AND state = 'active'",
                    [APPLICATION_NAME],
                ).fetchall()
                self.ticks += 1
                self.active.append(len(rows))
                for query, wait in rows:
                    self.statements[_statement(query)] += 1
                    self.waits[wait] += 1

    def lines(self) -> list[str]:
        ticks = self.ticks or 1
        busy = sum(self.active) / ticks
        lines = [
            f"On average {busy:.1f} of gunicorn's connections were running a statement "
            f"({ticks:,} samples, 2 a second). What they waited on: "
            + ", ".join(
                f"{wait} {count / ticks:.2f}"
                for wait, count in sorted(self.waits.items(), key=lambda i: -i[1])[:6]
            )
            + ". The statements running most often (average number running at once):",
            "",
        ]
        for statement, count in sorted(self.statements.items(), key=lambda i: -i[1])[:10]:
            lines.append(f"- {count / ticks:.2f}: `{statement}`")
        return lines


def _statement(query: str) -> str:
    """A statement's first words and the tables it names, enough to tell which page ran it."""
    text = " ".join(query.split())
    tables = sorted(set(re.findall(r'(?:FROM|JOIN|UPDATE|INTO) "([a-z_]+)"', text)))
    head = text[:60].replace("`", "'")
    return f"{head}... [{', '.join(tables[:8])}]" if tables else head


def _page_of(method: str, target: str) -> str:
    """The page a request in gunicorn's log was, named as locust names it."""
    path = target.split("?", 1)[0]
    if path.startswith("/accounts/"):
        return "sign-in"
    names = {
        "/": "dashboard",
        "/patients/": "patient search",
        "/treatments/visits/": "visit list",
        "/follow-ups/": "worklist",
        "/treatments/visits/new/": "visit form" if method == "GET" else "record a visit (POSTs)",
    }
    if path in names:
        return names[path]
    if re.fullmatch(r"/patients/\d+/", path):
        return "patient page"
    if re.fullmatch(r"/treatments/visits/\d+/", path):
        return "visit page (after recording)"
    if path.startswith("/reports/exports/"):
        return "export (CSV)"
    return path


def _worker_times(log_path: Path, since: float) -> dict[str, list[int]]:
    """Each page's time in a worker (from its start to the last byte sent), from gunicorn's
    access log, for requests that ended after `since`."""
    import datetime

    times: dict[str, list[int]] = defaultdict(list)
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        found = _ACCESS.match(line)
        if not found:
            continue
        when = datetime.datetime.strptime(found[1], "%d/%b/%Y:%H:%M:%S %z").timestamp()
        if when >= since:
            times[_page_of(found[2], found[3])].append(int(found[5]))
    return times


def _worker_lines(times: dict[str, list[int]], seconds: float, workers: int) -> list[str]:
    total = sum(sum(each) for each in times.values()) or 1
    busy = total / 1000 / (seconds * workers) * 100
    lines = [
        f"gunicorn's {workers} workers were busy {busy:.0f} % of the steady state. Time in a "
        "worker per page (gunicorn's access log, from the request's start to its last byte, "
        "without the wait for a free worker):",
        "",
        "| page | requests | worker p50 ms | worker p95 ms | share of the workers' time |",
        "|---|---|---|---|---|",
    ]
    for page, each in sorted(times.items(), key=lambda item: -sum(item[1])):
        ordered = sorted(each)
        lines.append(
            f"| {page} | {len(each):,} | {_percentile(ordered, 0.5):,} | "
            f"{_percentile(ordered, 0.95):,} | {sum(each) / total * 100:.0f} % |"
        )
    return lines


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _gunicorn_problems(log_path: Path) -> list[str]:
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    problems = defaultdict(int)
    for line in lines:
        if '" 5' in line and "HTTP/1" in line:
            request = line.split('"')[1] if '"' in line else line
            status = line.split('" ', 1)[1].split()[0] if '" ' in line else "?"
            problems[f"access log {status}: {request.split('?')[0]}"] += 1
        elif any(word in line for word in ("WORKER TIMEOUT", "[ERROR]", "Traceback", "Error:")):
            problems[line.split("] ", 2)[-1][:200]] += 1
    return [f"{count} x {what}" for what, count in sorted(problems.items(), key=lambda i: -i[1])]


def _run(users: int, minutes: float, env: dict[str, str], data_path: Path, max_visits: int):
    work = Path(tempfile.mkdtemp(prefix=f"busy-hour-{users}-"))
    samples_path = work / "samples.json"
    log_path = work / "gunicorn.log"
    server = _start_gunicorn(env, log_path)
    # Every worker has booted (imported Django) before the load starts; that CPU is not counted.
    time.sleep(10)
    boot_cpu = _tree_cpu(server.pid)
    sampler = _LoadSampler()
    database = _DatabaseSampler(env["DATABASE_URL"].split("?")[0])
    load_before = os.getloadavg()[0]
    sampler.start()
    database.start()
    locust = Path(sys.executable).with_name("locust")
    spawn_rate = 5
    started = time.time()
    runner = subprocess.Popen(
        [
            str(locust),
            *("-f", str(ROOT / "bench" / "locustfile.py"), "--headless"),
            *(
                "--users",
                str(users),
                "--spawn-rate",
                str(spawn_rate),
                "--run-time",
                f"{round(minutes * 60)}s",
            ),
            *("--host", f"http://127.0.0.1:{PORT}", "--stop-timeout", "30", "--only-summary"),
            *("--loglevel", "WARNING"),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "BUSY_HOUR_DATA": str(data_path),
            "BUSY_HOUR_SAMPLES": str(samples_path),
            "BUSY_HOUR_MAX_VISITS": str(max_visits),
        },
        stdout=(work / "locust.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    locust_cpu = _wait(runner, minutes * 60 + 180)
    sampler.stop.set()
    database.stop.set()
    server.terminate()
    server_cpu = _wait(server, 60) - boot_cpu
    samples = json.loads(samples_path.read_text()) if samples_path.exists() else []
    if not samples:
        raise SystemExit(f"locust wrote no samples: see {work / 'locust.log'}")
    return {
        "log_path": log_path,
        "users": users,
        "minutes": minutes,
        "started": started,
        "samples": samples,
        "load_before": load_before,
        "load": sampler.samples or [load_before],
        "server_cpu": server_cpu,
        "locust_cpu": locust_cpu,
        "problems": _gunicorn_problems(log_path),
        "database": database.lines(),
        "log": str(log_path),
        "locust_log": str(work / "locust.log"),
    }


PAGE_ORDER = [
    "dashboard",
    "patient search",
    "patient page",
    "visit form",
    "record a visit (POST)",
    "record a visit (POST, reasons)",
    "visit page (after recording)",
    "visit list",
    "worklist",
    "export (CSV)",
]


def _section(run: dict) -> str:
    samples = run["samples"]
    sign_in = [s for s in samples if s[1].startswith("sign-in")]
    # Steady state: from the moment the last user finished signing in.
    steady_from = max(s[0] for s in sign_in) if sign_in else run["started"]
    steady = [s for s in samples if s[0] >= steady_from and not s[1].startswith("sign-in")]
    seconds = max(s[0] for s in samples) - steady_from
    by_page: dict[str, list] = defaultdict(list)
    for sample in steady:
        by_page[sample[1]].append(sample)
    total_time = sum(s[2] for s in steady) or 1
    rows = []
    names = [n for n in PAGE_ORDER if n in by_page] + sorted(set(by_page) - set(PAGE_ORDER))
    for name in [*names, "all pages"]:
        page = steady if name == "all pages" else by_page[name]
        times = sorted(s[2] for s in page)
        errors = sum(1 for s in page if s[4])
        cells = [
            name,
            f"{len(page):,}",
            f"{len(page) / seconds:.2f}",
            *(f"{_percentile(times, share):,.0f}" for share in (0.5, 0.95, 0.99)),
            f"{times[-1]:,.0f}",
            str(errors),
            f"{sum(times) / total_time * 100:.0f} %",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    errors = defaultdict(int)
    for sample in samples:
        if sample[4]:
            errors[f"{sample[1]}: {sample[4]}"] += 1
    error_lines = [f"- {count} x {what}" for what, count in sorted(errors.items())] or ["- none"]
    problem_lines = [f"- {p}" for p in run["problems"][:15]] or ["- none"]
    limit = max(names, key=lambda n: sum(s[2] for s in by_page[n]))
    limit_share = sum(s[2] for s in by_page[limit]) / total_time * 100
    signs = sorted(s[2] for s in sign_in) or [0.0]
    load = run["load"]
    requests_total = len(samples)
    everything = sorted(s[2] for s in steady)
    p50, p95, p99 = (_percentile(everything, share) for share in (0.5, 0.95, 0.99))
    steady_errors = sum(1 for s in steady if s[4])
    workers = int(os.environ.get("WEB_CONCURRENCY", str((os.cpu_count() or 1) * 2 + 1)))
    worker_lines = _worker_lines(_worker_times(run["log_path"], steady_from), seconds, workers)
    per_request_ms = run["server_cpu"] / requests_total * 1000
    return f"""### {run["users"]} users, 1-3 s think time, {run["minutes"]:g} minutes

Load average (1 min) {run["load_before"]:.2f} before; during the run mean
{statistics.mean(load):.2f}, max {max(load):.2f}. Steady state (after the last sign-in):
{seconds:,.0f} s, **{len(steady) / seconds:.2f} requests/s**, p50 {p50:,.0f} ms,
p95 **{p95:,.0f} ms**, p99 {p99:,.0f} ms, {steady_errors} errors. The most time is spent on
**{limit}** ({limit_share:.0f} % of the time users waited). gunicorn's CPU:
{run["server_cpu"]:,.0f} s for {requests_total:,} requests ({per_request_ms:,.0f} ms per
request; PostgreSQL's own not counted); locust's: {run["locust_cpu"]:,.0f} s. Sign-in
(password + code, once per user, not in the table): {len(sign_in)} requests, p50
{_percentile(signs, 0.5):,.0f} ms, max {signs[-1]:,.0f} ms.

| page | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | share of time |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

{chr(10).join(worker_lines)}

Errors seen by locust (whole run, sign-in included):
{chr(10).join(error_lines)}

gunicorn's log (`{run["log"]}`): 5xx answers, worker timeouts and tracebacks:
{chr(10).join(problem_lines)}

PostgreSQL, as gunicorn's connections used it:
{chr(10).join(run["database"])}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--database", default="exotrack_bench")
    parser.add_argument("--max-visits", type=int, default=150, help="Visits recorded per run.")
    args = parser.parse_args()
    database_url = BENCH_DATABASE_URL.rsplit("/", 1)[0] + f"/{args.database}"
    os.environ["DATABASE_URL"] = database_url
    setup_django()
    work = Path(tempfile.mkdtemp(prefix="busy-hour-"))
    data_path = work / "data.json"
    visits_before = _prepare(max(args.users), data_path)
    # An authenticator just enrolled has used this time step's code: the first sign-in
    # waits for the next (locust does), which the start of gunicorn mostly covers.
    env = _server_env(database_url, work / "var")
    from django.db import connections

    connections.close_all()
    runs = []
    for users in args.users:
        runs.append(_run(users, args.minutes, env, data_path, args.max_visits))
        print(_section(runs[-1]), flush=True)
    visits_after = _bench_visits()
    workers = os.environ.get("WEB_CONCURRENCY", str(os.cpu_count() * 2 + 1))
    markdown = f"""## A busy hour (locust against gunicorn)

{machine()}.
{database_size()}

gunicorn as the image runs it (`gunicorn --config python:config.gunicorn config.wsgi`,
{workers} sync workers, timeout 90 s, production settings `config.settings.base` with DEBUG
off; only the bind is 127.0.0.1:{PORT} and http without TLS). locust
({Path(sys.executable).with_name("locust").name}, `bench/locustfile.py`) on the same 2 cores,
one process. Each user is a clinician with an account of the bench's own
({ACCOUNT_PREFIX}NN), signing in once with the password and the authenticator's code;
then, with 1-3 s between steps (weights): dashboard 20, find a patient 40 (search by
surname, full name or MRN, then a patient page), record a visit 10 (the visit form, then
its POST with a site and its usual dose, the first lot offered with vials enough for it,
the location and clinician; warnings shown are acknowledged with a reason and posted
again, and a lot whose last vials another user took meanwhile is swapped for the next), visit
list 20, worklist 20, and 1 export (adverse events of the last {EXPORT_DAYS} days as CSV).
Static files are not requested (a browser has them cached). Times are locust's per
request, from send to the whole body; percentiles over the steady state after the
last user signed in. Visits written to `{args.database}` by these runs:
{visits_after - visits_before} (at most {args.max_visits} a run).

{chr(10).join(_section(run) for run in runs)}
"""
    write_section("busy_hour", markdown)
    print(f"CPU of this script: {resource.getrusage(resource.RUSAGE_SELF).ru_utime:.0f} s")


if __name__ == "__main__":
    main()
