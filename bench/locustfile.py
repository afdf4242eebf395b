"""A busy hour at the clinic, for locust: each user is a clinician who signs in once
(password, then the code of their authenticator app) and then, with 1-3 s of thought
between steps, opens the dashboard, finds a patient (search, then the patient page),
records a visit (the real visit form: a lot in stock as the form offers it, a site, a
clinician, a location), reads the visit list and the follow-up worklist, and now and
then downloads an export.

Run by bench/busy_hour.py, which makes the accounts and writes the file named by
BUSY_HOUR_DATA (accounts, patients, search terms, sites and their usual doses). Every
request's timing is written to BUSY_HOUR_SAMPLES when locust stops, so the script
computes its own percentiles. At most BUSY_HOUR_MAX_VISITS visits are recorded per run;
after that the visit task opens the form and leaves it. Only 127.0.0.1 is loaded.
"""

import datetime
import itertools
import json
import math
import os
import random
import re
import time
from base64 import b32encode
from binascii import unhexlify
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pyotp
from locust import HttpUser, between, events, task

with open(os.environ["BUSY_HOUR_DATA"], encoding="utf-8") as _data:
    DATA = json.load(_data)
MAX_VISITS = int(os.environ.get("BUSY_HOUR_MAX_VISITS", "300"))
TIMEOUT_S = 120
_accounts = itertools.count()
_visits_posted = itertools.count(1)
_samples: list[list] = []
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# A lot as the visit form offers it: "... · 12 vials · 4.00 bn/vial".
_LOT = re.compile(r"· (\d+) vials? · ([\d.]+) bn/vial")
_ERROR = re.compile(r'class="(?:error|alert alert-error)"[^>]*>(.*?)</', re.S)


@events.test_start.add_listener
def _local_only(environment, **_kwargs) -> None:
    host = urlsplit(environment.host or "").hostname
    if host != "127.0.0.1":
        raise SystemExit(f"This load test runs against 127.0.0.1 only, not {host!r}.")


@events.request.add_listener
def _record(request_type, name, response_time, exception, response=None, **_kwargs) -> None:
    status = getattr(response, "status_code", 0) or 0
    error = "" if exception is None else f"{type(exception).__name__}: {exception}"[:300]
    _samples.append([time.time(), name, round(response_time, 2), status, error])


@events.quitting.add_listener
def _write_samples(**_kwargs) -> None:
    with open(os.environ["BUSY_HOUR_SAMPLES"], "w", encoding="utf-8") as out:
        json.dump(_samples, out)


class _Form(HTMLParser):
    """The fields of one form as a browser would send them (the <template> rows the page's
    script copies are not part of it)."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.in_template = 0
        self.select: str | None = None
        self.fields: dict[str, str] = {}
        self.options: dict[str, list[tuple[str, str]]] = {}
        self._option: tuple[str, bool] | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "template":
            self.in_template += 1
        if self.in_template:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            if a.get("type") not in ("submit", "button"):
                self.fields[a["name"]] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self.fields[a["name"]] = ""
        elif tag == "select" and a.get("name"):
            self.select = a["name"]
            self.options[self.select] = []
        elif tag == "option" and self.select:
            self._option = (a.get("value", ""), "selected" in a)
            self._text = ""

    def handle_data(self, data) -> None:
        if self._option is not None:
            self._text += data

    def handle_endtag(self, tag) -> None:
        if not self.inside:
            return
        if tag == "template":
            self.in_template -= 1
        elif tag == "option" and self.select and self._option is not None:
            value, selected = self._option
            self.options[self.select].append((value, self._text.strip()))
            if selected:
                self.fields[self.select] = value
            self._option = None
        elif tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


def _form(html: str, form_id: str) -> _Form:
    parser = _Form(form_id)
    parser.feed(html)
    return parser


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    return found.group(1) if found else ""


def _page_error(html: str) -> str:
    found = _ERROR.search(html)
    return re.sub(r"\s+", " ", re.sub("<[^>]+>", "", found.group(1))).strip() if found else ""


def _lots_for(options: list[tuple[str, str]], billions: str) -> list[str]:
    """The lots offered (first expiry first) with enough vials for the dose, as a
    clinician picks one."""
    fitting = []
    for value, text in options:
        found = _LOT.search(text)
        if value and found:
            needed = math.ceil(Decimal(billions) / Decimal(found[2]))
            if int(found[1]) >= needed:
                fitting.append(value)
    return fitting


class Clinician(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        account = DATA["accounts"][next(_accounts) % len(DATA["accounts"])]
        self.rng = random.Random(account["username"])
        with self.client.get(
            "/accounts/login/", name="sign-in page", timeout=TIMEOUT_S, catch_response=True
        ) as page:
            token = _csrf(page.text)
        password_step = {"username": account["username"], "password": account["password"]}
        if not self._sign_in_step("/accounts/login/", token, password_step, "password"):
            return
        code_page = self.client.get(
            "/accounts/two-factor/", name="sign-in: code page", timeout=TIMEOUT_S
        )
        totp = pyotp.TOTP(b32encode(unhexlify(account["totp_key"])).decode())
        # A code is refused once used: a code of the step the account last used waits for the next.
        while int(time.time()) // 30 <= account["last_step"]:
            time.sleep(1)
        code_step = {"code": totp.now(), "next": "/"}
        self._sign_in_step("/accounts/two-factor/", _csrf(code_page.text), code_step, "code")

    def _sign_in_step(self, url: str, token: str, fields: dict, step: str) -> bool:
        with self.client.post(
            url,
            data={"csrfmiddlewaretoken": token, **fields},
            name=f"sign-in: {step}",
            allow_redirects=False,
            timeout=TIMEOUT_S,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"{step}: HTTP {answer.status_code} {_page_error(answer.text)}")
                return False
        return True

    def _get(self, url: str, name: str, params: dict | None = None):
        with self.client.get(
            url, params=params, name=name, timeout=TIMEOUT_S, catch_response=True
        ) as page:
            if page.status_code != 200:
                page.failure(f"HTTP {page.status_code}")
            return page

    def _fail(self, name: str, message: str) -> None:
        """A step that could not go on, counted as an error of that page."""
        self.environment.events.request.fire(
            request_type="GET",
            name=name,
            response_time=0,
            response_length=0,
            exception=RuntimeError(message),
            context={},
        )

    def _patient(self) -> int:
        return self.rng.choice(DATA["patients"])

    @task(20)
    def dashboard(self) -> None:
        self._get("/", "dashboard")

    @task(40)
    def find_patient(self) -> None:
        term = self.rng.choice(DATA["searches"])
        self._get("/patients/", "patient search", params={"q": term})
        self.wait()
        self._get(f"/patients/{self._patient()}/", "patient page")

    @task(10)
    def record_visit(self) -> None:
        patient = self._patient()
        url = f"/treatments/visits/new/?patient={patient}"
        page = self._get(url, "visit form")
        if page.status_code != 200:
            return
        self.wait()
        if next(_visits_posted) > MAX_VISITS:
            return
        form = _form(page.text, "visit-form")
        fields = dict(form.fields)
        sites = [value for value, _ in form.options.get("doses-0-site", []) if value]
        if not sites:
            self._fail("visit form: nothing to choose", "the visit form offered no site")
            return
        site = self.rng.choice(sites)
        usual = DATA["sites"][site]
        lots = _lots_for(form.options.get("doses-0-lot", []), usual["billions"])
        if not lots:
            self._fail("visit form: nothing to choose", "no lot has vials enough")
            return
        fields.update(
            {
                "visited_at": datetime.datetime.now().strftime("%Y-%m-%dT%H:%M"),  # noqa: DTZ005 - the clinic's wall time
                "location": fields.get("location") or form.options["location"][1][0],
                "clinician": fields.get("clinician") or form.options["clinician"][1][0],
                "indication": "Osteoarthritis",
                "consent_recorded": "on",
                "consent_form_version": "2024-1",
                "doses-0-site": site,
                "doses-0-lot": lots.pop(0),
                "doses-0-billions": usual["billions"],
                "doses-0-laterality": "right" if usual["laterality"] else "na",
            }
        )
        self._post_visit(url, fields, lots)

    def _post_visit(self, url: str, fields: dict, other_lots: list[str]) -> None:
        name = "record a visit (POST)"
        for _ in range(3):
            with self.client.post(
                url,
                data=fields,
                name=name,
                allow_redirects=False,
                timeout=TIMEOUT_S,
                catch_response=True,
            ) as answer:
                if answer.status_code == 302:
                    self._get(answer.headers["Location"], "visit page (after recording)")
                    return
                error = _page_error(answer.text)
                warnings = re.findall(r'name="(ack-[a-z_]+)"', answer.text)
                if answer.status_code == 200 and warnings and warnings[0] not in fields:
                    # The clinician reads the warnings and gives a reason for each.
                    answer.success()
                    fields.update({warning: "Reviewed with the patient." for warning in warnings})
                    name = "record a visit (POST, reasons)"
                    self.wait()
                    continue
                if answer.status_code == 200 and re.search(r"vials? left", error) and other_lots:
                    # Another clinician took the lot's last vials since the form was opened:
                    # the next lot on the list.
                    answer.success()
                    fields["doses-0-lot"] = other_lots.pop(0)
                    name = "record a visit (POST, lot ran out)"
                    continue
                answer.failure(f"HTTP {answer.status_code}: {error[:200]}")
                return

    @task(20)
    def visit_list(self) -> None:
        self._get("/treatments/visits/", "visit list")

    @task(20)
    def worklist(self) -> None:
        self._get("/follow-ups/", "worklist")

    @task(1)
    def export(self) -> None:
        with self.client.get(
            DATA["export"], name="export (CSV)", timeout=TIMEOUT_S, catch_response=True
        ) as download:
            # The whole file is read within the timing (no streaming).
            size = len(download.content)
            if download.status_code != 200 or not size:
                download.failure(f"HTTP {download.status_code}, {size} bytes")
