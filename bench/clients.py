"""The load test's clients: patients who fill in intakes and practitioners who sign
session notes, each with its own cookies, speaking HTTP to gunicorn as a browser would.

A client counts an operation as done only when it has seen it succeed (the thank-you
page; the note marked signed). A request that gets no answer (a killed worker) is sent
again, unchanged, and the answer says what happened. Used by bench/load.py.
"""

import collections
import dataclasses
import hashlib
import hmac
import http.client
import random
import re
import struct
import threading
import time
from html.parser import HTMLParser
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlencode, urlsplit

RETRIES = 5  # a request with no answer is sent again this many times
RETRY_PAUSES = (0.2, 0.5, 1.0, 2.0, 4.0)
THANK_YOU = "Thank you, we have your answers"
# An intake link's token (secrets.token_urlsafe), not /intake/start/ or a file path.
TOKEN_IN_PATH = re.compile(r"/intake/[A-Za-z0-9_-]{20,}/")


def redact(path: str) -> str:
    """A path fit for the report: intake link tokens are keys to a patient's answers."""
    return TOKEN_IN_PATH.sub("/intake/<token>/", path)


# --- What the clients saw ---------------------------------------------------------------


class Stats:
    """Every request's kind, status and latency, and every error, from all clients."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = collections.defaultdict(list)  # kind -> seconds of answered requests
        self.statuses = collections.defaultdict(collections.Counter)  # kind -> status -> n
        self.connection_errors = collections.Counter()  # (kind, exception name) -> n
        self.server_errors = []  # (kind, status, path, page title)
        self.problems = []  # unexpected answers and operations given up, as text
        self.events = []  # (seconds since start, text)
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def answered(self, kind, status, seconds, path, body):
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status] += 1
            if status >= 500:
                title = re.search(r"<title>(.*?)</title>", body, re.S)
                summary = " ".join((title[1] if title else body[:150]).split())
                self.server_errors.append((kind, status, redact(path), summary))

    def no_answer(self, kind, exc):
        with self.lock:
            self.connection_errors[(kind, type(exc).__name__)] += 1

    def problem(self, text):
        with self.lock:
            self.problems.append(f"{self.elapsed():6.1f}s {text}")

    def event(self, text):
        with self.lock:
            self.events.append((self.elapsed(), text))


class GaveUp(Exception):
    """No answer after every retry, or an answer that says the operation failed."""


@dataclasses.dataclass
class Response:
    status: int
    location: str
    body: str
    path: str
    retried: bool


# --- The run -------------------------------------------------------------------------


class Run:
    """One run: its clock, how to reach the server, and what the clients completed."""

    def __init__(self, *, port, stats, scheme, timeout, duration, think):
        self.port = port
        self.stats = stats
        self.scheme = scheme
        self.timeout = timeout
        self.think = think
        self.start = time.monotonic()
        self.deadline = self.start + duration
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.intakes: list[str] = []  # patient codes whose thank-you page a client saw
        self.sessions: list[str] = []  # markers of the sessions a client saw signed
        self.ran_out_of_links = 0
        self.kill_failed = False
        self.failures: list[str] = []

    def browser(self) -> "Browser":
        return Browser(port=self.port, stats=self.stats, scheme=self.scheme, timeout=self.timeout)

    def completed(self, *, intake=None, session=None):
        with self.lock:
            if intake:
                self.intakes.append(intake)
            if session:
                self.sessions.append(session)


# --- HTML forms, as a browser reads them -----------------------------------------------


@dataclasses.dataclass
class Form:
    action: str
    method: str
    fields: list  # (name, value) a browser would send, before any button

    def has(self, name) -> bool:
        return any(n == name for n, _v in self.fields)

    def value(self, name) -> str | None:
        return next((v for n, v in self.fields if n == name), None)

    def fill(self, answers: dict, button: tuple[str, str] | None = None) -> list:
        """The form's own values, with `answers` replacing those of the same names."""
        pairs = [(n, v) for n, v in self.fields if n not in answers]
        for name, value in answers.items():
            values = value if isinstance(value, list | tuple) else [value]
            pairs.extend((name, str(v)) for v in values if v is not None)
        if button:
            pairs.append(button)
        return pairs


class FormParser(HTMLParser):
    """The forms of a page: hidden and typed inputs, ticked boxes, textareas, selects."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form = None
        self._textarea = None
        self._select = None  # [name, multiple, options [(value, selected)]]
        self._option = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower(), [])
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name") and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.fields.append((a["name"], a.get("value", "on")))
            else:
                self._form.fields.append((a["name"], a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], []]
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], "multiple" in a, []]
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, []]
            self._select[2].append(self._option)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._option is not None:
            self._option[2].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._textarea[1])
            # Browsers drop the newline that follows <textarea>.
            text = text[1:] if text.startswith("\n") else text
            self._form.fields.append((self._textarea[0], text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            name, multiple, options = self._select
            values = [o[0] if o[0] is not None else "".join(o[2]) for o in options]
            chosen = [v for v, o in zip(values, options, strict=True) if o[1]]
            if not chosen and not multiple and values:
                chosen = values[:1]
            self._form.fields.extend((name, v) for v in chosen)
            self._select = None
        elif tag == "option":
            self._option = None


def forms_of(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def post_form(html: str, *, having: str = "csrfmiddlewaretoken", action: str = "") -> Form:
    """The page's POST form with this field (and an action ending with `action`)."""
    for form in forms_of(html):
        if form.method == "post" and form.has(having) and form.action.endswith(action):
            return form
    raise GaveUp(f"no form with a {having!r} field {action} on the page")


def page_errors(html: str) -> str:
    """The form errors and alerts a page shows, for a report of what went wrong."""
    found = re.findall(r'class="[^"]*(?:invalid-feedback|alert)[^"]*"[^>]*>(.*?)</', html, re.S)
    text = " | ".join(" ".join(re.sub(r"<[^>]+>", " ", f).split()) for f in found)
    return text[:500] or "(no error shown)"


def totp(hex_key: str, at: float) -> str:
    """RFC 6238 code (SHA-1, 30 s, 6 digits), as django-otp's TOTPDevice checks it."""
    mac = hmac.new(bytes.fromhex(hex_key), struct.pack(">Q", int(at // 30)), hashlib.sha1)
    digest = mac.digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


# --- A browser ----------------------------------------------------------------------


class Browser:
    """One client: its own cookies, one connection per request (like a phone on a new
    network), and the same request sent again when no answer came back."""

    def __init__(self, *, port: int, stats: Stats, scheme: str, timeout: float):
        self.port = port
        self.stats = stats
        self.timeout = timeout
        self.host = f"127.0.0.1:{port}"
        self.origin = f"{scheme}://{self.host}"
        self.extra_headers = {"X-Forwarded-Proto": "https"} if scheme == "https" else {}
        self.cookies: dict[str, str] = {}
        self.page = "/"

    def get(self, kind: str, path: str) -> Response:
        return self._send(kind, "GET", path, None)

    def post(self, kind: str, path: str, pairs: list) -> Response:
        return self._send(kind, "POST", path, urlencode(pairs))

    def _send(self, kind, method, path, body) -> Response:
        headers = {
            "Host": self.host,
            "User-Agent": "acuclinic-bench/1",
            "Accept": "text/html",
            "Connection": "close",
            **self.extra_headers,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + self.page
        for attempt in range(RETRIES + 1):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            start = time.perf_counter()
            try:
                conn.request(method, path, body, headers)
                answer = conn.getresponse()
                raw = answer.read()
            except (OSError, http.client.HTTPException) as exc:
                self.stats.no_answer(kind, exc)
                if attempt == RETRIES:
                    raise GaveUp(f"{kind} {method} {redact(path)}: no answer ({exc!r})") from exc
                time.sleep(RETRY_PAUSES[attempt])
                continue
            finally:
                conn.close()
            seconds = time.perf_counter() - start
            text = raw.decode("utf-8", "replace")
            self.stats.answered(kind, answer.status, seconds, path, text)
            self._keep_cookies(answer.msg.get_all("Set-Cookie") or [])
            location = answer.getheader("Location", "")
            if location.startswith(("http://", "https://")):
                split = urlsplit(location)
                if f"{split.scheme}://{split.netloc}" != self.origin:
                    raise GaveUp(f"{kind}: redirected away to {redact(location)}")
                location = split.path + (f"?{split.query}" if split.query else "")
            if method == "GET" and answer.status == 200:
                self.page = path
            return Response(answer.status, location, text, path, attempt > 0)
        raise AssertionError("unreachable")

    def _keep_cookies(self, headers):
        for header in headers:
            try:
                jar = SimpleCookie(header)
            except CookieError:
                continue
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value


def expect(response: Response, status: int, what: str, *, location: str = "") -> Response:
    """The response, if it has this status (and a redirect ends with `location`)."""
    if response.status != status or (location and not response.location.endswith(location)):
        got = f"{response.status} {redact(response.location)}".strip()
        raise GaveUp(
            f"{what}: expected {status} {redact(location)}, got {got} "
            f"at {redact(response.path)}: {page_errors(response.body)}"
        )
    return response


# --- Patients -------------------------------------------------------------------------


def intake_answers(step: int, rng: random.Random, name: str) -> dict:
    """Valid answers for one step of the intake (intake/steps.py), varied a little."""
    if step == 1:
        return {
            "address": f"{rng.randint(1, 999)} Bench Street",
            "preferred_name": "",
            "reminder_channel": "none",
        }
    if step == 2:
        headaches = rng.random() < 0.3
        now = rng.randint(3, 8)
        return {
            "pain_types": ["migraine"] if headaches else ["neck_pain", "lower_back_pain"],
            "headache_days": rng.randint(2, 15) if headaches else "",
            "pain_now": now,
            "pain_worst": min(10, now + rng.randint(0, 2)),
            "months_with_pain": rng.randint(1, 60),
            "pain_locations": ["head"] if headaches else ["neck", "lower_back"],
            "pain_location_score_neck": "" if headaches else now,
            "onset": rng.choice(["sudden", "gradual"]),
            "cause": rng.choice(["stress", "unknown", "muscle_strain"]),
            "triggers": ["stress", "poor_sleep"],
        }
    if step == 3:
        return {"psfs_activity_1": "Turning my head to drive", "psfs_score_1": rng.randint(2, 7)}
    if step == 4:
        return {
            "medications-0-name": "Ibuprofen",
            "medications-0-dose": "400 mg",
            "medications-0-frequency": "when needed",
            "medications-0-for_pain": "on",
        }
    if step == 5:
        screening = (
            "pregnant",
            "pacemaker",
            "bleeding_disorder",
            "anticoagulants",
            "epilepsy",
            "diabetes",
            "fainting",
            "skin_problem",
            "metal_implant",
        )
        return {
            **{field: "no" for field in screening},
            "previous_acupuncture": "no",
            "goals": "Sleep through the night",
        }
    return {"consent_to_treatment": "on", "privacy_acknowledged": "on", "signature_name": name}


def complete_intake(browser: Browser, rng: random.Random, link: dict) -> None:
    """Open the link, answer the six steps, see the thank-you page. Raises GaveUp."""
    entry = f"/intake/{link['token']}/"
    page = expect(browser.get("intake: open link", entry), 302, "the link", location="/step/1/")
    page = expect(browser.get("intake: step page", page.location), 200, "step 1")
    for step in range(1, 6):
        if f"Step {step} of 6" not in page.body:
            raise GaveUp(f"expected step {step} at {redact(page.path)}: {page_errors(page.body)}")
        form = post_form(page.body)
        answer = browser.post(
            f"intake: save step {step}",
            page.path,
            form.fill(intake_answers(step, rng, link["name"]), ("action", "next")),
        )
        expect(answer, 302, f"saving step {step}", location=f"/step/{step + 1}/")
        page = expect(browser.get("intake: step page", answer.location), 200, f"step {step + 1}")
    form = post_form(page.body, having="signature_name")
    answer = browser.post(
        "intake: submit",
        page.path,
        form.fill(intake_answers(6, rng, link["name"]), ("action", "submit")),
    )
    expect(answer, 302, "submitting", location=entry)
    page = expect(browser.get("intake: thank-you page", answer.location), 200, "thank-you page")
    if THANK_YOU not in page.body:
        raise GaveUp(f"no thank-you after submitting: {page_errors(page.body)}")


def patient_client(run, number: int, links: list[dict]) -> None:
    browser = run.browser()
    rng = random.Random(number)  # noqa: S311 (test answers, not secrets)
    for link in links:
        if time.monotonic() >= run.deadline:
            return
        try:
            complete_intake(browser, rng, link)
        except GaveUp as exc:
            run.stats.problem(f"patient {number} gave up an intake: {exc}")
            time.sleep(0.5)
            continue
        run.completed(intake=link["patient"])
        if run.think:
            time.sleep(rng.uniform(0, 2 * run.think))
    run.stats.event(f"patient client {number} used all its {len(links)} links before the end")
    run.ran_out_of_links += 1


# --- Practitioners --------------------------------------------------------------------


def log_in(browser: Browser, practitioner: dict) -> None:
    page = expect(browser.get("staff: login page", "/accounts/login/"), 200, "login page")
    form = post_form(page.body, having="password")
    answer = browser.post(
        "staff: log in",
        "/accounts/login/",
        form.fill({"username": practitioner["username"], "password": practitioner["password"]}),
    )
    codes_sent = 0
    for _hop in range(10):
        if answer.status in (301, 302, 303):
            answer = browser.get("staff: after login", answer.location)
            continue
        if answer.status == 200 and 'name="otp_token"' in answer.body:
            # Two-factor login: a code from the device the setup gave this user.
            if not practitioner.get("otp_secret_hex"):
                raise GaveUp("login asks for a two-factor code: run with --two-factor")
            if codes_sent == 3:
                raise GaveUp(f"two-factor code refused: {page_errors(answer.body)}")
            if codes_sent:
                # Refused: a code counts once, and a resent request may have used it.
                time.sleep(30.5 - time.time() % 30)
            codes_sent += 1
            form = post_form(answer.body, having="otp_token")
            code = totp(practitioner["otp_secret_hex"], time.time())
            answer = browser.post(
                "staff: two-factor code", answer.path, form.fill({"otp_token": code})
            )
            continue
        break
    if answer.status != 200 or 'name="password"' in answer.body:
        raise GaveUp(f"login failed ({answer.status}): {page_errors(answer.body)}")


SESSION_STATUS = re.compile(r'data-session-status="(\w+)"')
SESSION_PATH = re.compile(r"^/sessions/[0-9a-f-]{36}/$")


def sign_session(browser: Browser, rng: random.Random, patient: str, marker: str) -> None:
    """Open the chart, log a session with "Save and sign", see it signed. Raises GaveUp."""
    expect(browser.get("session: chart", f"/patients/{patient}/"), 200, "the chart")
    new = f"/patients/{patient}/sessions/new/"
    page = expect(browser.get("session: new form", new), 200, "the session form")
    form = post_form(page.body, having="form_token")
    before = rng.randint(3, 8)
    needles = rng.randint(4, 12)
    answers = {
        "pain_before": before,
        "pain_after": max(0, before - rng.randint(0, 3)),
        "points": "GB20 L, BL23, LI4",
        "modalities": ["manual_needling"],
        "needles_inserted": needles,
        "needles_removed": needles,
        "retention_minutes": 20,
        "position": "prone",
        "subjective": marker,
        "objective": "Tight upper trapezius both sides.",
        "assessment": "Improving.",
        "plan_notes": "Weekly.",
        "pain_medication_doses": rng.randint(0, 6),
    }
    answer = browser.post("session: save and sign", new, form.fill(answers, ("action", "sign")))
    expect(answer, 302, "save and sign")
    if not SESSION_PATH.match(answer.location):
        raise GaveUp(f"save and sign went to {answer.location}: {page_errors(answer.body)}")
    detail = expect(browser.get("session: note", answer.location), 200, "the note")
    status = SESSION_STATUS.search(detail.body)
    if status and status[1] == "draft" and answer.retried:
        # The first sending saved the draft and its answer was lost; the form sent
        # again says "already sent" and shows the draft. A practitioner signs it.
        browser.stats.event(
            "a resent 'Save and sign' found the draft saved but not signed; signed it "
            "with the note's Sign button"
        )
        sign = detail.path + "sign/"
        form = post_form(detail.body, action=sign)
        answer = browser.post("session: sign", sign, form.fill({}))
        expect(answer, 302, "sign", location=detail.path)
        detail = expect(browser.get("session: note", detail.path), 200, "the note")
        status = SESSION_STATUS.search(detail.body)
    if not status or status[1] != "signed":
        raise GaveUp(
            f"the note is {status[1] if status else 'unknown'}, not signed: "
            f"{page_errors(detail.body)}"
        )


def practitioner_client(run, number: int, practitioner: dict) -> None:
    browser = run.browser()
    rng = random.Random(1000 + number)  # noqa: S311 (test answers, not secrets)
    try:
        log_in(browser, practitioner)
    except GaveUp as exc:
        run.stats.problem(f"practitioner {number} could not log in: {exc}")
        return
    patients = practitioner["patients"]
    count = 0
    while time.monotonic() < run.deadline:
        count += 1
        marker = f"bench {practitioner['username']} session {count}"
        try:
            sign_session(browser, rng, patients[count % len(patients)], marker)
        except GaveUp as exc:
            run.stats.problem(f"practitioner {number} gave up a session: {exc}")
            time.sleep(0.5)
            continue
        run.completed(session=marker)
        if run.think:
            time.sleep(rng.uniform(0, 2 * run.think))
