"""Golden answers of the legacy API: a scripted scenario whose every answer must stay byte-for-byte the same.

The scenario sets up two tenants with the app's own CLI (``init-db``, ``create-account``, ``create-user
--api-key``), then sends several hundred requests that go through every registered legacy call (and both
aliases), successes and errors alike, each in XML, JSON and JSONP (``callback=cb``), some as GET or
multipart, some as raw bodies. Every answer is written down (HTTP status, every response header in the
order sent, the body verbatim) and compared with ``tests/golden/legacy_answers.txt``.

The test touches the app only through ``gateway.create_app``, the Flask test client and the CLI, so it
keeps meaning the same thing while the package's insides move. It runs on SQLite and on PostgreSQL
(``TEST_POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/postgres``; skipped when no server
answers, except under ``CI=true``), and both backends must give the same answers: one golden file.

Volatile parts are normalised before comparing, and only those:
- every 16-digit number (campaign ids, random customer codes, generated card numbers: the scenario sends
  no 16-digit number of its own) becomes ``<ID1>``, ``<ID2>``... in order of first appearance over the
  whole scenario, requests included, so one id is the same placeholder everywhere;
- a date or date-time within a day of the run (what "now" produced) becomes ``<DATE>`` or ``<TIME>``;
  the fixed dates the scenario sends (1980, 2000, 2999...) are kept;
- the methods of an ``Allow`` header (a 405) are sorted: Werkzeug lists them from a set, in an order
  that changes with Python's string hash seed.
Campaigns are listed in order of creation time (to the second) and then of their random id, so the
scenario waits for the next second before creating a campaign: their order never depends on the ids.

When an answer changes ON PURPOSE, rewrite the file and review its diff before committing it::

    REWARDGATE_RECORD_GOLDEN=1 python -m pytest -q tests/test_legacy_golden.py

(with the variable set, the first backend to run writes the file and any other backend of the same run
compares with it). Never rewrite it to make a refactor pass: a refactor must not change any answer.
The test needs nothing from conftest.py: ``pytest --noconftest tests/test_legacy_golden.py`` runs it even
while the fixtures are being moved.

Keep the scenario deterministic when extending it: send explicit codes and card numbers; never send a
16-digit number or a date near today yourself; do not list two campaigns created in the same second
(``new_campaign=True`` waits); do not create a reward, promo, item, fee or depreciation right after
deleting the newest one (SQLite gives the deleted id again, PostgreSQL's sequence does not); and do not
leave one customer with two never-used enrolments before ``show_activations`` (those rows are ordered by
the random campaign ids).
"""
from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import time
import uuid
from pathlib import Path

import pytest
from lxml import etree

from gateway import create_app

GOLDEN = Path(__file__).parent / "golden" / "legacy_answers.txt"
RECORD = os.environ.get("REWARDGATE_RECORD_GOLDEN", "") not in ("", "0")
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"

ALL = ("xml", "json", "jsonp")
USERS = {  # who: (user_id, account_id, key)
    "mgr": ("mgr", "shop", "manager-key-0001"),
    "clerk": ("clerk", "shop", "staff-key-0002"),
    "omgr": ("omgr", "other", "other-key-0003"),
}
SEPARATOR = "=" * 16 + " #"
_written_this_run = False


# --- the client that records ------------------------------------------------------------------------

class Result:
    """One answer, readable by a path (``campaign/id``) whatever its format."""

    def __init__(self, fmt: str | None, body: bytes):
        self.fmt, self.body = fmt, body

    def text(self, path: str, default: str = "<missing>") -> str:
        try:
            if self.fmt in ("json", "jsonp"):
                raw = self.body.decode("utf-8")
                if self.fmt == "jsonp":
                    raw = raw[raw.index("(") + 1 : raw.rindex(")")]
                node = json.loads(raw)
                for part in path.split("/"):
                    node = node[part]
                return str(node)
            found = etree.fromstring(self.body).findtext(path)
            return default if found is None else found
        except Exception:  # a broken answer shows in the comparison; the scenario goes on
            return default


def _header_value(name: str, value: str) -> str:
    # Werkzeug builds a 405's Allow from a set: its order changes with the string hash seed of the run.
    return ", ".join(sorted(value.split(", "))) if name.lower() == "allow" else value


def _shown(value: str) -> str:
    return value if len(value) <= 120 else f"<{len(value)} chars: {value[:40]}...>"


class Golden:
    def __init__(self, client):
        self.client = client
        self.entries: list[str] = []
        self.campaign_seconds: dict[str, int] = {}

    # One request --------------------------------------------------------------------------------------
    def send(self, label: str, fields: dict | None = None, *, fmt: str | None = None, who: str | None = "mgr",
             auth: str = "password", enc: str = "form", headers: dict | None = None, path: str = "/",
             raw: bytes | None = None, content_type: str | None = None, method: str | None = None) -> Result:
        form: dict[str, str] = {}
        headers = dict(headers or {})
        if who is not None:
            user_id, account_id, key = USERS[who]
            form["user_id"] = user_id
            if auth != "no_account":
                form["account_id"] = account_id
            if auth == "header":
                headers["api_access_key"] = key
            elif auth == "api_key":
                form["user_api_key"] = key
            else:
                form["user_password"] = key
        form.update({k: str(v) for k, v in (fields or {}).items() if v is not None})
        if fmt == "json":
            form["output"] = "json"
        elif fmt == "jsonp":
            form["callback"] = "cb"

        if raw is not None:
            method = method or "POST"
            response = self.client.open(path, method=method, data=raw, headers=headers, content_type=content_type)
            request = [f"> {method} {path} raw {content_type or '-'}",
                       f"> body {_shown(raw.decode('latin-1'))!r}"]
        else:
            if enc == "get":
                method = method or "GET"
                response = self.client.open(path, method=method, query_string=form, headers=headers)
            elif enc == "multipart":
                method = method or "POST"
                response = self.client.open(path, method=method, data=form, headers=headers,
                                            content_type="multipart/form-data")
            else:
                method = method or "POST"
                response = self.client.open(path, method=method, data=form, headers=headers)
            shown = {k: _shown(v) for k, v in sorted(form.items())}
            request = [f"> {method} {path} {enc}", f"> fields {json.dumps(shown, ensure_ascii=True)}"]
        if headers:
            request.append(f"> headers {json.dumps(dict(sorted(headers.items())), ensure_ascii=True)}")

        body = response.get_data()
        try:
            text, note = body.decode("utf-8"), ""
        except UnicodeDecodeError:
            text, note = body.decode("utf-8", "backslashreplace"), "(body not UTF-8: bytes shown as \\xNN)\n"
        lines = [f"{SEPARATOR}{len(self.entries) + 1:04d} {label}" + (f" [{fmt}]" if fmt else ""), *request,
                 f"< {response.status}"]
        lines += [f"< {name}: {_header_value(name, value)}" for name, value in response.headers.items()]
        entry = "\n".join(lines) + "\n\n" + note + text
        if not text.endswith("\n"):
            entry += "\n\\ no newline at end of body\n"
        self.entries.append(entry)
        return Result(fmt, body)

    # One step: the same request in several formats ----------------------------------------------------
    def call(self, label: str, fields: dict, *, fmts: tuple = ALL, vary: dict | None = None,
             new_campaign: bool = False, **kw) -> dict[str, Result]:
        """Send ``fields`` once per format in ``fmts`` (in that order); ``vary[fmt]`` adds fields for one
        format. ``new_campaign``: the request may create a campaign (only the first one does when an
        idempotency key makes the others replays), so wait for the next second first."""
        results = {}
        replays = "idempotency_key" in fields or "Idempotency-Key" in kw.get("headers", {})
        account = USERS.get(kw.get("who", "mgr"), ("", "", ""))[1]
        for n, fmt in enumerate(fmts):
            creates = new_campaign and not (replays and n)
            if creates:
                self.wait_for_next_second(account)
            results[fmt] = self.send(label, {**fields, **((vary or {}).get(fmt, {}))}, fmt=fmt, **kw)
            if creates:
                self.campaign_seconds[account] = int(time.time())
        return results

    def wait_for_next_second(self, account: str) -> None:
        # Campaigns are listed by creation time (whole seconds), then by their random id: one second
        # apart, two campaigns of an account are always listed in the order they were created.
        now = time.time()
        last = self.campaign_seconds.get(account, 0)
        if int(now) <= last:
            time.sleep(last + 1 - now + 0.01)

    def one(self, results: dict[str, Result], path: str) -> str:
        """The value at ``path`` in the first answer that has it."""
        for result in results.values():
            value = result.text(path)
            if value != "<missing>":
                return value
        return "<missing>"


# --- normalisation ----------------------------------------------------------------------------------

_ID = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")
_WHEN = re.compile(r"(?<![0-9])([0-9]{4}-[0-9]{2}-[0-9]{2})([ T][0-9]{2}:[0-9]{2}:[0-9]{2})?(?![0-9])")


def normalise(entries: list[str], started: dt.date, finished: dt.date) -> list[str]:
    ids: dict[str, str] = {}
    first, last = started - dt.timedelta(days=1), finished + dt.timedelta(days=1)

    def token(match: re.Match) -> str:
        return ids.setdefault(match.group(0), f"<ID{len(ids) + 1}>")

    def when(match: re.Match) -> str:
        try:
            day = dt.date.fromisoformat(match.group(1))
        except ValueError:
            return match.group(0)
        if not first <= day <= last:
            return match.group(0)
        return "<TIME>" if match.group(2) else "<DATE>"

    return [_WHEN.sub(when, _ID.sub(token, entry)) for entry in entries]


# --- comparing ----------------------------------------------------------------------------------------

def split_entries(text: str) -> list[str]:
    parts = re.split(r"(?m)^(?=" + re.escape(SEPARATOR) + r"\d{4} )", text)
    return [p for p in parts if p]


def mismatch_message(expected: str, actual: str, backend: str) -> str:
    want, got = split_entries(expected), split_entries(actual)
    differing = [i for i in range(max(len(want), len(got)))
                 if i >= len(want) or i >= len(got) or want[i] != got[i]]
    i = differing[0]
    head = (got[i] if i < len(got) else want[i]).split("\n", 3)
    diff = "".join(difflib.unified_diff(
        (want[i] if i < len(want) else "").splitlines(keepends=True),
        (got[i] if i < len(got) else "").splitlines(keepends=True),
        fromfile=f"golden #{i + 1}", tofile=f"{backend} now #{i + 1}",
    ))
    if len(diff) > 12000:
        diff = diff[:12000] + "\n... (diff cut)\n"
    return (
        f"legacy answers changed on {backend}: {len(differing)} of {len(want)} recorded answers differ "
        f"({len(got)} answered now). First difference, request {i + 1}:\n" + "\n".join(head[:3]) + "\n\n" + diff
        + "\nIf this change is intended, rewrite the file with REWARDGATE_RECORD_GOLDEN=1 (see the docstring)."
    )


# --- backends -----------------------------------------------------------------------------------------

def _pg_admin():
    import psycopg2

    conn = psycopg2.connect(PG_URL, connect_timeout=3)
    conn.autocommit = True
    return conn


@pytest.fixture(params=["sqlite", "postgresql"])
def golden_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'golden.db'}"
        return
    try:
        admin = _pg_admin()
    except Exception as exc:  # any failure to connect means "no server here"
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL at {PG_URL} does not answer: {reason}")
        pytest.skip(f"PostgreSQL at {PG_URL} does not answer ({reason}); CI runs this")
    name = f"rg_golden_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        try:
            # Binding another app closes this thread's connection to the database before it is dropped.
            create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'release.db'}"})
        finally:  # even when the app cannot be built (a broken refactor): FORCE ends the connection
            with admin.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


def test_legacy_answers_match_the_golden_file(golden_database_url, request):
    """Every answer of the scenario, normalised, equals tests/golden/legacy_answers.txt byte for byte."""
    global _written_this_run
    backend = request.node.callspec.params["golden_database_url"]
    app = create_app({"TESTING": True, "DATABASE_URL": golden_database_url, "MAX_BODY_BYTES": 1024 * 1024})
    runner = app.test_cli_runner()
    for args in (
        ["init-db"],
        ["create-account", "shop", "--name", "Great Widgets"],
        ["create-account", "other", "--name", "Other Shop"],
        ["create-user", "shop", "mgr", "--api-key", USERS["mgr"][2]],
        ["create-user", "shop", "clerk", "--role", "staff", "--api-key", USERS["clerk"][2]],
        ["create-user", "other", "omgr", "--api-key", USERS["omgr"][2]],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)

    started = dt.datetime.now(dt.timezone.utc).date()
    golden = Golden(app.test_client())
    scenario(golden)
    finished = dt.datetime.now(dt.timezone.utc).date()
    actual = "".join(e + "\n" for e in normalise(golden.entries, started, finished))

    if RECORD and not _written_this_run:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        with open(GOLDEN, "w", encoding="utf-8", newline="") as f:
            f.write(actual)
        _written_this_run = True
        return
    assert GOLDEN.exists(), f"{GOLDEN} is missing: record it with REWARDGATE_RECORD_GOLDEN=1"
    with open(GOLDEN, encoding="utf-8", newline="") as f:
        expected = f.read()
    if actual != expected:
        pytest.fail(mismatch_message(expected, actual, backend), pytrace=False)


# --- the scenario ------------------------------------------------------------------------------------

def scenario(g: Golden) -> None:
    ids = transport_and_dispatch(g)
    ids.update(campaigns(g))
    ids.update(campaign_parts(g, ids))
    ids.update(fees_and_depreciations(g, ids))
    customers(g, ids)
    transactions(g, ids)
    reports(g, ids)
    customer_removal(g, ids)
    catalogue(g)


def transport_and_dispatch(g: Golden) -> dict:
    """Errors that come before any call runs, and the ways a request can arrive."""
    g.call("no type at all", {})
    g.call("unknown type", {"type": "nonsense"})
    g.call("unknown type, control characters and markup echoed", {"type": "bad\x01\x02<type>&"})
    g.call("unknown type, a long name is cut", {"type": "t" * 100})
    g.call("missing action", {"type": "campaign_new"})
    g.call("unknown action", {"type": "campaign_new", "action": "bogus"})
    g.call("missing customer_action", {"type": "record_customer"})
    g.call("unknown customer_action", {"type": "record_customer", "customer_action": "explode"})
    g.call("missing report", {"type": "reports"})
    g.call("unknown report", {"type": "reports", "report": "everything"})
    g.call("type in capitals", {"type": "CAMPAIGNS_LIST"})

    g.call("authentication: wrong key", {"type": "campaigns_list", "user_password": "not-the-key"})
    g.call("authentication: unknown user", {"type": "campaigns_list", "user_id": "ghost"})
    g.call("authentication: another account's id", {"type": "campaigns_list", "account_id": "other"})
    g.call("authentication: no credentials", {"type": "campaigns_list"}, who=None)
    g.call("authentication: no key", {"type": "campaigns_list", "user_id": "mgr", "account_id": "shop"}, who=None)
    g.call("authentication: user_api_key", {"type": "campaigns_list"}, auth="api_key")
    g.call("authentication: api_access_key header", {"type": "campaigns_list"}, auth="header")
    g.call("authentication: header wins over a wrong field", {"type": "campaigns_list", "user_password": "wrong"},
           auth="header")
    g.call("authentication: without account_id", {"type": "campaigns_list"}, auth="no_account")
    g.call("authentication before the type", {"type": "nonsense", "user_password": "wrong"})

    g.send("output=JSON in capitals", {"type": "campaigns_list", "output": "JSON"})
    g.send("output=XmL in any case", {"type": "campaigns_list", "output": "XmL"})
    g.send("unknown output", {"type": "campaigns_list", "output": "yaml"})
    g.send("unknown output, JSON-ish fallback", {"type": "campaigns_list", "output": "yaml", "condensed": "yes"})
    g.send("callback wins over output=xml", {"type": "campaigns_list", "output": "xml", "callback": "jQuery_1.cb$"})
    g.send("bad callback", {"type": "campaigns_list", "callback": "alert(1)"})
    g.send("bad callback on a write changes nothing",
           {"type": "campaign_new", "action": "campaign", "campaign_type": "points", "campaign_name": "Never",
            "callback": "a..b"})
    g.send("too long callback", {"type": "campaigns_list", "callback": "x" * 129})
    g.send("condensed JSON", {"type": "campaigns_list", "output": "json", "condensed": "yes"})
    g.send("condensed JSONP", {"type": "campaigns_list", "callback": "cb", "condensed": "Y"})
    g.send("condensed is ignored in XML", {"type": "campaigns_list", "condensed": "yes"})

    for enc in ("get", "multipart"):
        g.call(f"an error through {enc}", {"type": "nonsense"}, enc=enc)
    g.call("the /api.php path", {"type": "nonsense"}, path="/api.php")

    big = {"type": "campaign_new", "action": "campaign", "campaign_type": "points", "campaign_name": "Big",
           "description": "x" * (1024 * 1024)}
    for query in ("", "?output=json", "?callback=cb"):
        g.send(f"body over 1 MiB, format from the query {query or '(none)'}", big, path="/" + query)
    g.send("body just under the limit is read (and the form is then refused)", None, who=None,
           raw=b"type=nonsense&pad=" + b"y" * (1024 * 1024 - 100), content_type="application/x-www-form-urlencoded",
           path="/?output=json")
    g.send("too many fields", None, raw=b"a=1&" * 1000 + b"type=x", content_type="application/x-www-form-urlencoded",
           path="/?output=json")
    g.send("multipart without a boundary", None, raw=b"user_id=mgr", content_type="multipart/form-data",
           path="/?output=json")
    g.send("malformed multipart", None, raw=b"garbage without any boundary",
           content_type="multipart/form-data; boundary=b", path="/?callback=cb")
    g.send("a JSON body is not a form", None, raw=json.dumps({"type": "campaigns_list"}).encode(),
           content_type="application/json", path="/?output=json")
    g.send("an XML body is not a form", None, raw=b"<request><type>campaigns_list</type></request>",
           content_type="text/xml")
    g.send("an empty body", None, raw=b"", content_type="application/x-www-form-urlencoded")
    g.send("broken percent escapes", None, raw=b"%zz=%&%=%E9%&type&user_id",
           content_type="application/x-www-form-urlencoded", path="/?output=json")
    g.send("NUL in a field", {"type": "campaigns_list", "first_name": "a\x00b", "output": "json"})
    g.send("NUL in a field name", None,
           raw=b"a%00b=1&user_id=mgr&account_id=shop&user_password=manager-key-0001&type=campaigns_list&output=json",
           content_type="application/x-www-form-urlencoded")
    g.send("a repeated field takes its last value", None,
           raw=b"type=campaigns_list&type=nonsense&user_id=mgr&account_id=shop&user_password=manager-key-0001",
           content_type="application/x-www-form-urlencoded")
    g.send("the body wins over the query string", None,
           raw=b"type=nonsense&user_id=mgr&account_id=shop&user_password=manager-key-0001",
           content_type="application/x-www-form-urlencoded", path="/?type=campaigns_list&output=json")
    g.send("the query string fills what the body lacks", None,
           raw=b"type=nonsense&user_id=mgr&user_password=manager-key-0001",
           content_type="application/x-www-form-urlencoded", path="/?account_id=shop&callback=cb")
    g.send("Windows-1252 body", None,
           raw=b"type=caf\xe9\x80&user_id=mgr&account_id=shop&user_password=manager-key-0001",
           content_type="application/x-www-form-urlencoded")
    g.send("other methods are not the API", {"type": "campaigns_list"}, method="PUT")
    return {}


def campaigns(g: Golden) -> dict:
    ids: dict[str, str] = {}
    new = {"type": "campaign_new", "action": "campaign"}
    g.call("staff may not create a campaign", {**new, "campaign_type": "points", "campaign_name": "No"}, who="clerk")
    g.call("campaign_new: missing type and name", new)
    g.call("campaign_new: unknown type", {**new, "campaign_type": "lottery", "campaign_name": "L"})
    g.call("campaign_new: earned needs amount_per_event", {**new, "campaign_type": "earned", "campaign_name": "E"})
    g.call("campaign_new: ratio and coordinates out of range",
           {**new, "campaign_type": "points", "campaign_name": "P", "points_ratio": "0", "latitude": "91",
            "longitude": "abc", "coalition_opt_out": "maybe"})
    g.call("campaign_new: name too long", {**new, "campaign_type": "points", "campaign_name": "n" * 256})

    # Each campaign is created once (an idempotency key makes the other formats replays); the first
    # format differs from campaign to campaign, so every format answers a fresh creation once.
    made = g.call("campaign_new: points", {**new, "campaign_type": "Points", "campaign_name": "Alpha points",
                                           "description": "Earn <2> & \"more\"", "points_ratio": "2",
                                           "reward_ratio": "10", "latitude": "45.5", "longitude": "-73,6",
                                           "coalition_opt_out": "Y"},
                  fmts=("json", "xml", "jsonp"), headers={"Idempotency-Key": "points-1"}, new_campaign=True)
    ids["points"] = g.one(made, "campaign/id")
    made = g.call("campaign_new: giftcard", {**new, "campaign_type": "giftcard", "campaign_name": "Bravo gift card",
                                             "description": "Caf\u00e9 \u2603 \U0001f600", "idempotency_key": "gift-1"},
                  fmts=("jsonp", "json", "xml"), new_campaign=True)
    ids["giftcard"] = g.one(made, "campaign/id")
    made = g.call("campaign_new: events", {**new, "campaign_type": "events", "campaign_name": "Charlie visits",
                                           "description": "ls\u2028ps\u2029end"},
                  fmts=("xml", "json", "jsonp"), headers={"Idempotency-Key": "events-1"}, new_campaign=True)
    ids["events"] = g.one(made, "campaign/id")
    made = g.call("campaign_new: earned", {**new, "campaign_type": "earned", "campaign_name": "Delta earned",
                                           "amount_per_event": "1.50", "description": "a\x01b\x7fc\u0085d"},
                  fmts=("json", "jsonp", "xml"), headers={"Idempotency-Key": "earned-1"}, new_campaign=True)
    ids["earned"] = g.one(made, "campaign/id")
    made = g.call("campaign_new: buyx", {**new, "campaign_type": "BUYX", "campaign_name": "Echo coffee card"},
                  fmts=("xml", "jsonp", "json"), headers={"Idempotency-Key": "buyx-1"}, new_campaign=True, enc="multipart")
    ids["buyx"] = g.one(made, "campaign/id")
    made = g.call("campaign_new: other account's points", {**new, "campaign_type": "points", "campaign_name": "Other"},
                  fmts=("json",), who="omgr", new_campaign=True)
    ids["other"] = g.one(made, "campaign/id")

    g.call("idempotency: same key, other fields",
           {**new, "campaign_type": "points", "campaign_name": "Alpha points 2"}, headers={"Idempotency-Key": "points-1"})
    g.call("idempotency: key too long", {**new, "campaign_type": "points", "campaign_name": "Z"},
           headers={"Idempotency-Key": "k" * 256})
    g.call("idempotency: keys belong to one account",
           {**new, "campaign_type": "giftcard", "campaign_name": "Other gift", "idempotency_key": "gift-1"},
           fmts=("json",), who="omgr", new_campaign=True)

    listed = {"type": "campaigns_list"}
    g.call("campaigns_list", listed)
    g.call("campaigns_list as staff through GET", listed, who="clerk", enc="get")
    g.call("campaigns_list of the other account", listed, who="omgr")
    g.call("campaigns_list: type_restrict", {**listed, "type_restrict": "points, buyx"})
    g.call("campaigns_list: campaign_type spelling", {**listed, "campaign_type": "giftcard"})
    g.call("campaigns_list: unknown type_restrict", {**listed, "type_restrict": "points,lottery"})
    g.call("campaigns_list: sorted by name, descending",
           {**listed, "sortField": "campaign_name", "sortOrder": "desc"})
    g.call("campaigns_list: search and page", {**listed, "searchField": "campaign_type", "searchOper": "ni",
                                               "searchValue": "events,earned", "offset": "1", "length": "2"})
    g.call("campaigns_list: search contains", {**listed, "searchField": "campaign_name", "searchOper": "cn",
                                               "searchValue": "CARD"})
    g.call("campaigns_list: search null", {**listed, "searchField": "campaign_name", "searchOper": "nu"})
    g.call("campaigns_list: search errors", {**listed, "searchValue": "x", "searchOper": "zz", "sortOrder": "up",
                                             "length": "0"})
    g.call("campaigns_list: searchField without value", {**listed, "searchField": "campaign_name"})

    temp = g.call("campaign_new: a campaign to retire", {**new, "campaign_type": "giftcard", "campaign_name": "Foxtrot temp"},
                  fmts=("json",), new_campaign=True)
    ids["temp"] = g.one(temp, "campaign/id")
    update = {"type": "campaign_update", "action": "campaign"}
    g.call("campaign_update: several settings",
           {**update, "campaign_id": ids["temp"], "new_campaign_name": "Foxtrot retired", "description": "gone soon",
            "latitude": "-12.25", "two_tier_opt_out": "yes", "new_points_ratio": "3"})
    g.call("campaign_update: clear the reward ratio of a points campaign, and back",
           {**update, "campaign_id": ids["points"], "new_reward_ratio": ""}, fmts=("xml",))
    g.call("campaign_update: reward ratio back",
           {**update, "campaign_id": ids["points"], "new_reward_ratio": "10"}, fmts=("json",))
    g.call("campaign_update: earned amount", {**update, "campaign_id": ids["earned"], "new_amount_per_event": "1,5"},
           fmts=("jsonp",))
    g.call("campaign_update: nothing to update", {**update, "campaign_id": ids["temp"]})
    g.call("campaign_update: missing campaign_id", update)
    g.call("campaign_update: another account's campaign", {**update, "campaign_id": ids["other"],
                                                            "new_campaign_name": "Mine"})
    g.call("campaign_update: bad ratio", {**update, "campaign_id": ids["points"], "new_points_ratio": "-1"})
    g.call("campaign_update: staff", {**update, "campaign_id": ids["points"], "new_campaign_name": "No"}, who="clerk")

    g.call("campaign_deactivate", {"type": "campaign_deactivate", "campaign_id": ids["temp"]})
    g.call("campaigns_inactive_list", {"type": "campaigns_inactive_list"})
    g.call("campaigns_inactive_list: search", {"type": "campaigns_inactive_list", "searchField": "campaign_name",
                                                "searchOper": "bw", "searchValue": "fox"})
    g.call("campaigns_inactive_list: staff", {"type": "campaigns_inactive_list"}, who="clerk")
    g.call("campaigns_list leaves deactivated campaigns out", {**listed, "type_restrict": "giftcard"})
    g.call("campaign_deactivate: missing campaign_id", {"type": "campaign_deactivate"})
    g.call("campaign_deactivate: unknown campaign", {"type": "campaign_deactivate", "campaign_id": "123"})
    g.call("campaign_reactivate", {"type": "campaign_reactivate", "campaign_id": ids["temp"]})
    g.call("campaign_reactivate: another account's", {"type": "campaign_reactivate", "campaign_id": ids["other"]})
    g.call("campaign_deactivate again", {"type": "campaign_deactivate", "campaign_id": ids["temp"]}, fmts=("json",))
    return ids


def campaign_parts(g: Golden, ids: dict) -> dict:
    out: dict[str, str] = {}
    rnew = {"type": "campaign_new", "action": "reward"}
    made = g.call("campaign_new reward", {**rnew, "campaign_id": ids["points"], "reward_description": "Mug"},
                  vary={"xml": {"reward_level": "500", "reward_identifier": "MUG-500"},
                        "json": {"reward_level": "50", "reward_custom_field_1": "blue", "reward_custom_field10": "ten",
                                 "reward_custom_field_2": "two"},
                        "jsonp": {"reward_level": "100"}})
    out["reward_500"], out["reward_50"], out["reward_100"] = (made[f].text("campaign/reward/id") for f in ALL)
    made = g.call("campaign_new reward on events", {**rnew, "campaign_id": ids["events"], "reward_level": "3",
                                                    "reward_description": "Free visit"}, fmts=("json",))
    out["reward_events"] = g.one(made, "campaign/reward/id")
    g.call("campaign_new reward: missing fields", {**rnew, "campaign_id": ids["points"]})
    g.call("campaign_new reward: missing campaign_id", {**rnew, "reward_level": "5", "reward_description": "x"})
    g.call("campaign_new reward: level out of range", {**rnew, "campaign_id": ids["points"], "reward_level": "0",
                                                       "reward_description": "x"})
    g.call("campaign_new reward: not a number", {**rnew, "campaign_id": ids["points"], "reward_level": "ten",
                                                 "reward_description": "x"})
    g.call("campaign_new reward: gift card has none", {**rnew, "campaign_id": ids["giftcard"], "reward_level": "5",
                                                       "reward_description": "x"})
    g.call("campaign_new reward: unknown campaign", {**rnew, "campaign_id": "42", "reward_level": "5",
                                                     "reward_description": "x"})
    g.call("campaign_new reward: deactivated campaign", {**rnew, "campaign_id": ids["temp"], "reward_level": "5",
                                                         "reward_description": "x"})

    g.call("campaign_rewards", {"type": "campaign_rewards", "campaign_id": ids["points"]})
    g.call("campaign_rewards again (reused answer)", {"type": "campaign_rewards", "campaign_id": ids["points"]},
           fmts=("json",))
    g.call("campaign_rewards: staff, events", {"type": "campaign_rewards", "campaign_id": ids["events"]}, who="clerk",
           enc="get")
    g.call("campaign_rewards: wrong type", {"type": "campaign_rewards", "campaign_id": ids["buyx"]})
    g.call("campaign_rewards: missing campaign_id", {"type": "campaign_rewards"})
    g.call("campaign_rewards: another account's", {"type": "campaign_rewards", "campaign_id": ids["other"]})

    rup = {"type": "campaign_update", "action": "reward"}
    g.call("campaign_update reward", {**rup, "campaign_id": ids["points"], "reward_id": out["reward_50"],
                                      "new_reward_level": "60", "new_reward_description": "Big mug",
                                      "reward_custom_field_2": "", "reward_custom_field_3": "three"}, fmts=("json",))
    g.call("campaign_update reward: identifier", {**rup, "campaign_id": ids["points"], "reward_id": out["reward_100"],
                                                  "new_reward_identifier": "CAP"}, fmts=("xml", "jsonp"))
    g.call("campaign_rewards after the change", {"type": "campaign_rewards", "campaign_id": ids["points"]},
           fmts=("xml", "json"))
    g.call("campaign_update reward: nothing to update", {**rup, "campaign_id": ids["points"],
                                                         "reward_id": out["reward_50"]})
    g.call("campaign_update reward: not an id", {**rup, "campaign_id": ids["points"], "reward_id": "abc",
                                                 "new_reward_level": "5"})
    g.call("campaign_update reward: not found", {**rup, "campaign_id": ids["points"], "reward_id": "999",
                                                 "new_reward_level": "5"})
    g.call("campaign_update reward: other campaign", {**rup, "campaign_id": ids["events"],
                                                      "reward_id": out["reward_50"], "new_reward_level": "5"})
    g.call("campaign_update reward: missing fields", rup)

    extra = g.call("campaign_new reward to delete", {**rnew, "campaign_id": ids["points"], "reward_level": "7",
                                                     "reward_description": "Sticker"}, fmts=("xml",))
    out["reward_7"] = g.one(extra, "campaign/reward/id")
    g.call("campaign_delete reward (then not found)", {"type": "campaign_delete", "action": "reward",
                                                       "reward_id": out["reward_7"], "campaign_id": ids["points"]})
    g.call("campaign_delete reward: staff", {"type": "campaign_delete", "action": "reward",
                                             "reward_id": out["reward_500"]}, who="clerk")
    g.call("campaign_delete reward: not an id", {"type": "campaign_delete", "action": "reward", "reward_id": "-1"})

    pnew = {"type": "campaign_new", "action": "promo", "campaign_id": ids["points"]}
    made = g.call("campaign_new promo: double, dated",
                  {**pnew, "promo_operation": "X", "promo_amount": "2", "promo_description": "Double days",
                   "promo_custom_id": "DBL", "promo_start_date": "2000-01-01", "promo_end_date": "2999-12-31 23:59:59"},
                  fmts=("json",))
    out["promo_double"] = g.one(made, "campaign/promo/id")
    made = g.call("campaign_new promo: plus ten", {**pnew, "promo_operation": "+", "promo_amount": "10,5",
                                                   "promo_description": "Bonus"}, fmts=("xml",))
    out["promo_plus"] = g.one(made, "campaign/promo/id")
    made = g.call("campaign_new promo: expired", {**pnew, "promo_operation": "x", "promo_amount": "3",
                                                  "promo_description": "Old", "promo_start_date": "2001-01-01T00:00:00",
                                                  "promo_end_date": "2001-06-30 12:00"}, fmts=("jsonp",))
    out["promo_expired"] = g.one(made, "campaign/promo/id")
    g.call("campaign_new promo: errors", {**pnew, "promo_operation": "/", "promo_amount": "0",
                                          "promo_description": "x"})
    g.call("campaign_new promo: missing fields", {**pnew})
    g.call("campaign_new promo: end before start", {**pnew, "promo_operation": "x", "promo_amount": "2",
                                                    "promo_description": "x", "promo_start_date": "2010-01-01",
                                                    "promo_end_date": "2009-01-01"})
    g.call("campaign_new promo: bad date", {**pnew, "promo_operation": "x", "promo_amount": "2",
                                            "promo_description": "x", "promo_start_date": "yesterday"})
    g.call("campaign_new promo: too many places", {**pnew, "promo_operation": "x", "promo_amount": "1.23456",
                                                   "promo_description": "x"})
    g.call("campaign_new promo: events campaign", {**pnew, "campaign_id": ids["events"], "promo_operation": "x",
                                                   "promo_amount": "2", "promo_description": "x"})

    plist = {"type": "campaign_promos", "campaign_id": ids["points"]}
    g.call("campaign_promos", plist)
    g.call("campaign_promos: search operation", {**plist, "searchField": "operation", "searchOper": "eq",
                                                 "searchValue": "x"}, enc="multipart")
    g.call("campaign_promos: sort by multiplier", {**plist, "sortField": "multiplier", "sortOrder": "DESC"})
    g.call("campaign_promos: numeric search refused", {**plist, "searchField": "multiplier", "searchOper": "gt",
                                                       "searchValue": "abc"})
    g.call("campaign_promos: numeric search not a number", {**plist, "searchField": "multiplier", "searchOper": "eq",
                                                            "searchValue": "abc"})
    g.call("campaign_promos: numeric in", {**plist, "searchField": "multiplier", "searchOper": "in",
                                           "searchValue": "2, 3"})
    g.call("campaign_promos: gift card", {**plist, "campaign_id": ids["giftcard"]})

    pup = {"type": "campaign_update", "action": "promo"}
    g.call("campaign_update promo", {**pup, "promo_id": out["promo_plus"], "new_promo_amount": "5",
                                     "new_promo_description": "Bonus five", "new_promo_end_date": "2999-01-01"},
           fmts=("jsonp",))
    g.call("campaign_update promo: blank amount", {**pup, "promo_id": out["promo_plus"], "new_promo_amount": " "})
    g.call("campaign_update promo: none of the three", {**pup, "promo_id": out["promo_plus"],
                                                        "new_promo_custom_id": "C"})
    g.call("campaign_update promo: dates reversed", {**pup, "promo_id": out["promo_plus"], "new_promo_amount": "5",
                                                     "new_promo_start_date": "2999-06-01"})
    g.call("campaign_update promo: not found", {**pup, "promo_id": "999", "new_promo_amount": "5"})
    g.call("campaign_update promo: wrong campaign", {**pup, "promo_id": out["promo_plus"], "new_promo_amount": "5",
                                                     "campaign_id": ids["giftcard"]})
    extra = g.call("campaign_new promo to delete", {**pnew, "promo_operation": "+", "promo_amount": "1",
                                                    "promo_description": "Gone"}, fmts=("json",))
    g.call("campaign_delete promo (then not found)", {"type": "campaign_delete", "action": "promo",
                                                      "promo_id": g.one(extra, "campaign/promo/id")})
    g.call("campaign_delete promo: missing id", {"type": "campaign_delete", "action": "promo"})

    inew = {"type": "campaign_new", "action": "item", "campaign_id": ids["buyx"]}
    made = g.call("campaign_new item", inew, vary={
        "xml": {"reward_level": "5", "item_description": "Coffee", "item_identifier": "COFFEE"},
        "json": {"reward_level": "3", "item_description": "Bagel"},
        "jsonp": {"reward_level": "10", "item_description": "Sandwich", "item_identifier": "SAND"}})
    out["coffee"], out["bagel"], out["sandwich"] = (made[f].text("campaign/item/id") for f in ALL)
    g.call("campaign_new item: missing fields", inew)
    g.call("campaign_new item: points campaign", {**inew, "campaign_id": ids["points"], "reward_level": "2",
                                                  "item_description": "x"})
    ilist = {"type": "buyx_items_list", "campaign_id": ids["buyx"]}
    g.call("buyx_items_list", ilist)
    g.call("buyx_items_list: by item id", {**ilist, "searchField": "reward_id", "searchOper": "eq",
                                           "searchValue": out["bagel"]})
    g.call("buyx_items_list: sorted by buy_amount, paged", {**ilist, "sortField": "buy_amount", "offset": "1",
                                                            "length": "1"})
    g.call("buyx_items_list: ends with", {**ilist, "searchField": "service_product", "searchOper": "ew",
                                          "searchValue": "EE"})
    g.call("buyx_items_list: unknown searchField", {**ilist, "searchField": "price", "searchValue": "1"})
    g.call("buyx_items_list: events campaign", {**ilist, "campaign_id": ids["events"]})
    iup = {"type": "campaign_update", "action": "item"}
    g.call("campaign_update item", {**iup, "item_id": out["sandwich"], "new_item_description": "Club sandwich",
                                    "new_reward_level": "8"}, fmts=("xml",))
    g.call("campaign_update item: nothing to update", {**iup, "item_id": out["sandwich"]})
    g.call("campaign_update item: not found", {**iup, "item_id": "999", "new_reward_level": "8"})
    g.call("campaign_delete item (then not found)", {"type": "campaign_delete", "action": "item",
                                                     "item_id": out["sandwich"], "campaign_id": ids["buyx"]})
    g.call("campaign_delete item: another account", {"type": "campaign_delete", "action": "item",
                                                     "item_id": out["coffee"]}, who="omgr")
    g.call("buyx_items_list after the changes", ilist, fmts=("json",))
    return out


def fees_and_depreciations(g: Golden, ids: dict) -> dict:
    out: dict[str, str] = {}
    fnew = {"type": "campaign_fee_new", "campaign_id": ids["points"]}
    made = g.call("campaign_fee_new", {**fnew, "fee_interval": "1", "interval_type": "months", "fee_amount": "5",
                                       "fee_description": "Monthly"}, fmts=("json",))
    out["fee_points"] = g.one(made, "fee/id")
    made = g.call("campaign_fee_new: gift card", {**fnew, "campaign_id": ids["giftcard"], "fee_interval": "2",
                                                  "interval_type": "Years", "fee_amount": "1,25",
                                                  "fee_description": "Dormancy"}, fmts=("xml",))
    out["fee_gift"] = g.one(made, "fee/id")
    extra = g.call("campaign_fee_new: to delete", {**fnew, "fee_interval": "30", "interval_type": "days",
                                                   "fee_amount": "1", "fee_description": "Gone"}, fmts=("jsonp",))
    out["fee_gone"] = g.one(extra, "fee/id")
    g.call("campaign_fee_new: missing fields", fnew)
    g.call("campaign_fee_new: fraction of a point", {**fnew, "fee_interval": "1", "interval_type": "days",
                                                     "fee_amount": "0.5", "fee_description": "x"})
    g.call("campaign_fee_new: bad interval", {**fnew, "fee_interval": "1001", "interval_type": "weeks",
                                              "fee_amount": "1", "fee_description": "x"})
    g.call("campaign_fee_new: events campaign", {**fnew, "campaign_id": ids["events"], "fee_interval": "1",
                                                 "interval_type": "days", "fee_amount": "1", "fee_description": "x"})
    g.call("campaign_fee_new: staff", {**fnew, "fee_interval": "1", "interval_type": "days", "fee_amount": "1",
                                       "fee_description": "x"}, who="clerk")
    g.call("campaign_fees", {"type": "campaign_fees", "campaign_id": ids["points"]})
    g.call("campaign_fees: gift card as staff", {"type": "campaign_fees", "campaign_id": ids["giftcard"]}, who="clerk")
    g.call("campaign_fees: buyx", {"type": "campaign_fees", "campaign_id": ids["buyx"]})
    fup = {"type": "campaign_fee_update", "campaign_id": ids["points"]}
    g.call("campaign_fee_update", {**fup, "fee_id": out["fee_points"], "fee_amount": "6", "fee_description": "Monthly+"},
           fmts=("jsonp", "xml"))
    g.call("campaign_fee_update: nothing", {**fup, "fee_id": out["fee_points"]})
    g.call("campaign_fee_update: not found", {**fup, "fee_id": out["fee_gift"], "fee_amount": "2"})
    g.call("campaign_fee_update: missing", {"type": "campaign_fee_update"})
    g.call("campaign_fee_delete (then not found)", {"type": "campaign_fee_delete", "campaign_id": ids["points"],
                                                    "fee_id": out["fee_gone"]})
    g.call("campaign_fee_delete: missing fee_id", {"type": "campaign_fee_delete", "campaign_id": ids["points"]})

    dnew = {"type": "depreciation_new", "campaign_id": ids["points"]}
    made = g.call("depreciation_new", {**dnew, "depreciation_type": "per_transaction", "depreciation_interval": "1",
                                       "depreciation_interval_type": "years", "depreciation_percentage": "12.5"},
                  fmts=("xml",))
    out["dep_points"] = g.one(made, "depreciation/id")
    made = g.call("depreciation_new: gift card", {**dnew, "campaign_id": ids["giftcard"],
                                                  "depreciation_type": "LAST_TRANSACTION", "depreciation_interval": "6",
                                                  "depreciation_interval_type": "months",
                                                  "depreciation_percentage": "100"}, fmts=("json",))
    out["dep_gift"] = g.one(made, "depreciation/id")
    extra = g.call("depreciation_new: to delete", {**dnew, "depreciation_type": "last_transaction",
                                                   "depreciation_interval": "90", "depreciation_interval_type": "days",
                                                   "depreciation_percentage": "1"}, fmts=("jsonp",))
    out["dep_gone"] = g.one(extra, "depreciation/id")
    g.call("depreciation_new: missing fields", dnew)
    g.call("depreciation_new: bad values", {**dnew, "depreciation_type": "sometimes", "depreciation_interval": "0",
                                            "depreciation_interval_type": "days", "depreciation_percentage": "100.5"})
    g.call("depreciation_new: earned campaign", {**dnew, "campaign_id": ids["earned"],
                                                 "depreciation_type": "per_transaction", "depreciation_interval": "1",
                                                 "depreciation_interval_type": "days", "depreciation_percentage": "1"})
    g.call("campaign_depreciations", {"type": "campaign_depreciations", "campaign_id": ids["points"]})
    g.call("campaign_depreciations: gift card", {"type": "campaign_depreciations", "campaign_id": ids["giftcard"]},
           enc="get")
    g.call("campaign_depreciations: unknown campaign", {"type": "campaign_depreciations", "campaign_id": "1"})
    dup = {"type": "depreciation_update", "campaign_id": ids["points"]}
    g.call("depreciation_update", {**dup, "depreciation_id": out["dep_points"], "depreciation_percentage": "10",
                                   "depreciation_interval": "2"}, fmts=("json", "xml"))
    g.call("depreciation_update: nothing", {**dup, "depreciation_id": out["dep_points"]})
    g.call("depreciation_update: not found", {**dup, "depreciation_id": "999", "depreciation_percentage": "10"})
    g.call("depreciation_update: bad percentage", {**dup, "depreciation_id": out["dep_points"],
                                                   "depreciation_percentage": "0"})
    g.call("depreciation_delete via fee_id (then not found)",
           {"type": "depreciation_delete", "campaign_id": ids["points"], "fee_id": out["dep_gone"]})
    g.call("depreciation_delete: missing id", {"type": "depreciation_delete", "campaign_id": ids["points"]})
    g.call("depreciation_delete: staff", {"type": "depreciation_delete", "campaign_id": ids["points"],
                                          "depreciation_id": out["dep_points"]}, who="clerk")
    return out


def customers(g: Golden, ids: dict) -> None:
    new = {"type": "record_customer", "customer_action": "new"}
    profile = {"first_name": "Ann", "last_name": "Lee", "phone": "(555) 123-4567", "email": "ann@example.com",
               "street1": "1 Main St", "street2": "Apt <2>", "city": "Anytown", "state": "NY", "postal_code": "12345",
               "country": "US", "custom_date": "1980-07-15", "custom_field": "vip & co", "custom_field_2": "second",
               "custom_field_10": "tenth", "campaign_id": f"{ids['points']},{ids['giftcard']}"}
    g.call("record_customer new", {**new, **profile}, vary={
        "xml": {"code": "C1001", "card_number": "400012341001", "customer_username": "ann"},
        "json": {"code": "C1002", "card_number": "400012341002", "first_name": "Bob", "last_name": "Stone",
                 "custom_date": "1975-12-30", "city": "Otherville"},
        "jsonp": {"code": "C1003", "first_name": "\u00c9lodie", "last_name": "M\u00fcller", "custom_field_1": "one",
                  "custom_date": "1990-01-02", "campaign_id": ids["events"]},
    })
    g.call("record_customer new through action=new and multipart",
           {"type": "record_customer", "action": "new", "first_name": "Cleo", "campaign_id": ids["buyx"]},
           vary={"xml": {"code": "C2001"}, "json": {"code": "C2002"}, "jsonp": {"code": "C2003"}}, enc="multipart")
    g.call("record_customer new: the card number becomes the code", {**new, "first_name": "Dee"},
           vary={"xml": {"card_number": "777000111"}, "json": {"card_number": "777000222"},
                 "jsonp": {"card_number": "777000333"}}, who="clerk")
    g.call("record_customer new: a random code", {**new, "first_name": "Rand", "last_name": "Om"})
    g.call("record_customer new: new_code=Y keeps the card", {**new, "new_code": "Y", "first_name": "Newc"},
           vary={"xml": {"card_number": "888000111"}, "json": {"card_number": "888000222"},
                 "jsonp": {"card_number": "888000333"}})
    g.call("record_customer new: a generated card number", {**new, "first_name": "Gen", "card_number_generate": "16",
                                                            "card_number_prefix": "99"}, fmts=("json", "xml"))
    g.call("record_customer new: code in use", {**new, "code": "C1001"})
    g.call("record_customer new: card in use", {**new, "code": "C9999", "card_number": "400012341002"})
    g.call("record_customer new: username in use", {**new, "code": "C9998", "customer_username": "ann"})
    g.call("record_customer new: unknown campaign", {**new, "code": "C9997", "campaign_id": f"{ids['points']},42"})
    g.call("record_customer new: card and card_number_generate", {**new, "card_number": "1", "card_number_generate": "8"})
    g.call("record_customer new: invalid fields", {**new, "first_name": "a\x01b", "custom_date": "1980-13-01",
                                                   "card_number_generate": "3", "card_number_prefix": "1a",
                                                   "email": "e" * 300, "custom_field_7": "x\x02"})
    g.call("record_customer new: the other account may reuse a code", {**new, "code": "C1001", "first_name": "Oth"},
           who="omgr", fmts=("json",))

    edit = {"type": "record_customer", "customer_action": "edit"}
    g.call("record_customer edit", {**edit, "code": "C1001", "phone": "555.123.4567", "custom_field_2": "",
                                    "custom_field_3": "third"}, fmts=("xml",))
    g.call("record_customer edit: by card number", {**edit, "card_number": "400012341002", "email": "bob@example.com"},
           fmts=("json",))
    g.call("record_customer edit: unknown code creates", {**edit, "code": "C3001", "first_name": "Edna"},
           fmts=("jsonp",))
    g.call("record_customer edit: username taken", {**edit, "code": "C1002", "customer_username": "ann"})
    reg = {"type": "record_customer", "customer_action": "register"}
    g.call("record_customer register", {**reg, "code": "C1001", "customer_password": "s3cret", "customer_PIN": "1234"},
           fmts=("json",))
    g.call("record_customer register: already registered",
           {**reg, "code": "C1001", "customer_password": "other"}, fmts=("xml", "jsonp"))
    g.call("record_customer register: missing password", {**reg, "code": "C1002"})
    g.call("record_customer register: a new registered customer",
           {**reg, "code": "C4001", "customer_password": "pw", "customer_username": "reggie", "first_name": "Reg"},
           fmts=("xml",))

    gen = {"type": "generate_card_number"}
    g.call("generate_card_number", gen)
    g.call("generate_card_number: prefix and suffix", {**gen, "how_many_digits": "16", "card_number_prefix": "5",
                                                       "card_number_suffix": "9"}, fmts=("xml",), who="clerk")
    g.call("generate_card_number: too few random digits", {**gen, "how_many_digits": "6",
                                                           "card_number_prefix": "123"})
    g.call("generate_card_number: out of range", {**gen, "how_many_digits": "65", "card_number_suffix": "x"})

    search = {"type": "customer_search"}
    g.call("customer_search: every customer", search, fmts=("json",))
    g.call("customer_search: partial name", {**search, "first_name": "an"})
    g.call("customer_search: exact, sensitive", {**search, "last_name": "lee", "exact_match": "sensitive"})
    g.call("customer_search: exact, insensitive, with balances",
           {**search, "last_name": "lee", "exact_match": "insensitive", "include_balances": "Y"})
    g.call("customer_search: custom field and non-ASCII", {**search, "first_name": "\u00e9LO", "custom_field": "one"},
           enc="get")
    g.call("customer_search: a custom_field_N", {**search, "custom_field_3": "thi"})
    g.call("customer_search: literal percent", {**search, "first_name": "%"})
    g.call("customer_search: secrets and bad exact_match",
           {**search, "customer_password": "s3cret", "customer_PIN": "1", "exact_match": "roughly"})
    g.call("customer_search: the other account", search, who="omgr")

    find = {"type": "customer_find"}
    g.call("customer_find: AND and OR", {**find, "find_customer": "ann anytown, stone"})
    g.call("customer_find: with balances, by the find_customer alias",
           {"type": "find_customer", "find_customer": "C100", "include_balances": "yes"}, fmts=("json", "xml"))
    g.call("customer_find: custom field values, not keys", {**find, "find_customer": "custom_field"})
    g.call("customer_find: no terms", {**find, "find_customer": " , "})
    g.call("customer_find: missing", find)

    info = {"type": "customer_info"}
    g.call("customer_info", {**info, "code": "C1001"})
    g.call("customer_info: by card", {**info, "card_number": "400012341002"}, fmts=("json",))
    g.call("customer_info: no balances", {**info, "code": "C1003", "include_balances": "N"})
    g.call("customer_info: one campaign, custom field hidden",
           {**info, "code": "C1001", "campaign_id": ids["points"], "hide_custom_field": "Y"})
    g.call("customer_info: only member campaigns", {**info, "code": "C1003", "show_only_belong_to": "Y"},
           who="clerk")
    g.call("customer_info: not found", {**info, "code": "nobody"})
    g.call("customer_info: another account's customer", {**info, "code": "C1002"}, who="omgr")
    g.call("customer_info: neither code nor card", info)
    g.call("customer_info: unknown campaign", {**info, "code": "C1001", "campaign_id": ids["other"]})

    check = {"type": "validate_customer_password"}
    g.call("validate_customer_password", {**check, "code": "C1001", "customer_password": "s3cret"})
    g.call("validate_customer_password: PIN, username and phone",
           {**check, "customer_username": "ann", "customer_PIN": "1234", "phone": "555 123 4567"}, fmts=("json",))
    g.call("validate_customer_password: wrong password", {**check, "card_number": "400012341001",
                                                          "customer_password": "S3CRET"}, fmts=("xml",))
    g.call("validate_customer_password: missing fields", check)
    g.call("validate_customer_password: missing secret", {**check, "code": "C1001"})

    replace = {"type": "card_replace"}
    g.call("card_replace: new code by previous code", {**replace, "previous_code": "C2001", "new_code": "C2101"},
           fmts=("xml",))
    g.call("card_replace: new card by previous card", {**replace, "previous_card": "777000222",
                                                       "new_card_number": "777000999"}, fmts=("json",))
    g.call("card_replace: by profile, ambiguous", {**replace, "first_name": "Cleo", "new_code": "X"})
    g.call("card_replace: by profile, one match", {**replace, "first_name": "edna", "new_card_number": "555000111"},
           fmts=("jsonp",), who="clerk")
    g.call("card_replace: not found", {**replace, "previous_code": "nobody", "new_code": "X"})
    g.call("card_replace: code in use", {**replace, "previous_code": "C2002", "new_code": "C1001"})
    g.call("card_replace: nothing new", {**replace, "previous_code": "C2002"})
    g.call("card_replace: wrong password", {**replace, "previous_code": "C1001", "customer_password": "no",
                                            "new_code": "C1009"})


def transactions(g: Golden, ids: dict) -> None:
    rec = {"type": "record_activity"}
    sale = g.call("record_activity: points", {**rec, "campaign_id": ids["points"], "code": "C1001", "amount": "10"})
    ids["sale_c1001"] = sale["xml"].text("receipt/transaction_id")
    g.call("record_activity: points with a double promo, custom fields",
           {**rec, "campaign_id": ids["points"], "code": "C1001", "amount": "12,34", "promo_id": ids["promo_double"],
            "authorization": "AUTH-9", "custom_field_1": "till 3", "custom_field_12": "z", "custom_field_2": "y"},
           fmts=("json",))
    g.call("record_activity: points with a plus promo, by card, as staff",
           {**rec, "campaign_id": ids["points"], "card_number": "400012341002", "amount": "3",
            "promo_id": ids["promo_plus"]}, fmts=("xml", "jsonp"), who="clerk")
    g.call("record_activity: expired promo", {**rec, "campaign_id": ids["points"], "code": "C1001", "amount": "1",
                                              "promo_id": ids["promo_expired"]})
    g.call("record_activity: unknown promo", {**rec, "campaign_id": ids["points"], "code": "C1001", "amount": "1",
                                              "promo_id": "999"})
    g.call("record_activity: no amount on points", {**rec, "campaign_id": ids["points"], "code": "C1003"},
           fmts=("json",))
    g.call("record_activity: gift card", {**rec, "campaign_id": ids["giftcard"], "code": "C1001", "amount": "25.50"},
           fmts=("xml", "json"))
    g.call("record_activity: gift card without amount", {**rec, "campaign_id": ids["giftcard"], "code": "C1001"})
    g.call("record_activity: gift card zero", {**rec, "campaign_id": ids["giftcard"], "code": "C1001", "amount": "0"})
    g.call("record_activity: events", {**rec, "campaign_id": ids["events"], "code": "C1003"})
    g.call("record_activity: earned", {**rec, "campaign_id": ids["earned"], "code": "C1002"}, enc="get")
    coffee = g.call("record_activity: buyx by item id", {**rec, "campaign_id": ids["buyx"], "code": "C2002",
                                                         "service_product": ids["coffee"], "buyx_quantity": "3"},
                    fmts=("xml",))
    ids["sale_coffee"] = g.one(coffee, "receipt/transaction_id")
    g.call("record_activity: buyx by identifier", {**rec, "campaign_id": ids["buyx"], "code": "C2002",
                                                   "service_product": "[COFFEE]"})
    g.call("record_activity: buyx bagel", {**rec, "campaign_id": ids["buyx"], "code": "C2002",
                                           "service_product": ids["bagel"], "buyx_quantity": "3"}, fmts=("json",))
    g.call("record_activity: buyx unknown item", {**rec, "campaign_id": ids["buyx"], "code": "C2002",
                                                  "service_product": "[TEA]"})
    g.call("record_activity: buyx without item", {**rec, "campaign_id": ids["buyx"], "code": "C2002"})
    g.call("record_activity: bad numbers", {**rec, "campaign_id": ids["points"], "code": "C1001", "amount": "1e5",
                                            "buyx_quantity": "0", "promo_id": "x"})
    g.call("record_activity: negative amount", {**rec, "campaign_id": ids["points"], "code": "C1001",
                                                "amount": "-5"})
    g.call("record_activity: missing campaign and code", rec)
    g.call("record_activity: missing code", {**rec, "campaign_id": ids["points"], "amount": "1"})
    g.call("record_activity: unknown customer", {**rec, "campaign_id": ids["points"], "code": "nobody",
                                                 "amount": "1"})
    g.call("record_activity: another account's campaign", {**rec, "campaign_id": ids["other"], "code": "C1001",
                                                           "amount": "1"})
    g.call("record_activity: deactivated campaign", {**rec, "campaign_id": ids["temp"], "code": "C1001",
                                                     "amount": "1"})
    kept = g.call("record_activity: idempotent", {**rec, "campaign_id": ids["points"], "code": "C1002", "amount": "7"},
                  headers={"Idempotency-Key": "sale-77"}, fmts=("jsonp", "xml", "json"))
    ids["sale_c1002"] = g.one(kept, "receipt/transaction_id")
    g.call("record_activity: same key, other amount", {**rec, "campaign_id": ids["points"], "code": "C1002",
                                                       "amount": "8"}, headers={"Idempotency-Key": "sale-77"},
           fmts=("json",))

    red = {"type": "redeem"}
    g.call("redeem: a reward", {**red, "campaign_id": ids["points"], "code": "C1001",
                                "reward_to_redeem": ids["reward_50"]}, fmts=("json",))
    g.call("redeem: custom points", {**red, "campaign_id": ids["points"], "code": "C1001",
                                     "custom_points_redeem": "5"})
    g.call("redeem: custom dollars", {**red, "campaign_id": ids["points"], "code": "C1001",
                                      "custom_dollars_redeem": "0.25", "authorization": "R-1"}, fmts=("xml",))
    g.call("redeem: insufficient balance", {**red, "campaign_id": ids["points"], "code": "C1001",
                                            "reward_to_redeem": ids["reward_500"]})
    g.call("redeem: two ways at once", {**red, "campaign_id": ids["points"], "code": "C1001",
                                        "reward_to_redeem": ids["reward_50"], "custom_points_redeem": "1"})
    g.call("redeem: nothing to redeem", {**red, "campaign_id": ids["points"], "code": "C1001"})
    g.call("redeem: unknown reward", {**red, "campaign_id": ids["points"], "code": "C1001",
                                      "reward_to_redeem": "abc"})
    g.call("redeem: gift card money", {**red, "campaign_id": ids["giftcard"], "code": "C1001",
                                       "reward_to_redeem": "5,25"}, fmts=("jsonp",), who="clerk")
    g.call("redeem: gift card, not an amount", {**red, "campaign_id": ids["giftcard"], "code": "C1001",
                                                "reward_to_redeem": "5.255"})
    g.call("redeem: gift card, too much", {**red, "campaign_id": ids["giftcard"], "code": "C1001",
                                           "reward_to_redeem": "1000"})
    g.call("redeem: events reward", {**red, "campaign_id": ids["events"], "code": "C1003",
                                     "reward_to_redeem": ids["reward_events"]}, fmts=("xml",))
    g.call("redeem: earned", {**red, "campaign_id": ids["earned"], "code": "C1002", "reward_to_redeem": "1.5"},
           fmts=("json",))
    g.call("redeem: a free coffee", {**red, "campaign_id": ids["buyx"], "code": "C2002",
                                     "reward_to_redeem": "[COFFEE]"}, fmts=("xml",))
    g.call("redeem: no more free coffee", {**red, "campaign_id": ids["buyx"], "code": "C2002",
                                           "reward_to_redeem": ids["coffee"]})
    g.call("redeem: custom dollars without a reward ratio", {**red, "campaign_id": ids["other"], "code": "C1001",
                                                             "custom_dollars_redeem": "1"}, fmts=("json",),
           who="omgr")

    bal = {"type": "customer_balance"}
    g.call("customer_balance: points, whole history", {**bal, "campaign_id": ids["points"], "code": "C1001"})
    g.call("customer_balance: last two", {**bal, "campaign_id": ids["points"], "code": "C1001",
                                          "transactions_number": "2"}, fmts=("json",))
    g.call("customer_balance: none of the history, by the balance alias, by card",
           {"type": "balance", "campaign_id": ids["giftcard"], "card_number": "400012341001",
            "transactions_number": "0"}, who="clerk")
    g.call("customer_balance: buyx", {**bal, "campaign_id": ids["buyx"], "code": "C2002"})
    g.call("customer_balance: earned", {**bal, "campaign_id": ids["earned"], "code": "C1002"}, fmts=("xml",))
    g.call("customer_balance: deactivated campaign still answers", {**bal, "campaign_id": ids["temp"],
                                                                    "code": "C1001"}, fmts=("json",))
    g.call("customer_balance: unknown customer", {**bal, "campaign_id": ids["points"], "code": "nobody"})
    g.call("customer_balance: missing", bal)
    g.call("customer_balance: bad transactions_number", {**bal, "campaign_id": ids["points"], "code": "C1001",
                                                         "transactions_number": "-1"})

    dele = {"type": "transaction_delete"}
    g.call("transaction_delete (then already deleted)", {**dele, "campaign_id": ids["points"], "code": "C1002",
                                                         "transaction_id": ids["sale_c1002"]})
    g.call("transaction_delete: staff", {**dele, "campaign_id": ids["points"], "code": "C1001",
                                         "transaction_id": ids["sale_c1001"]}, who="clerk")
    g.call("transaction_delete: would go negative", {**dele, "campaign_id": ids["buyx"], "code": "C2002",
                                                     "transaction_id": ids["sale_coffee"]})
    g.call("transaction_delete: not found", {**dele, "campaign_id": ids["points"], "code": "C1001",
                                             "transaction_id": "999"})
    g.call("transaction_delete: not an id", {**dele, "campaign_id": ids["points"], "code": "C1001",
                                             "transaction_id": "x"})
    g.call("transaction_delete: another customer's transaction", {**dele, "campaign_id": ids["points"],
                                                                  "code": "C1003", "transaction_id": ids["sale_c1001"]})
    g.call("customer_balance after the deletion", {**bal, "campaign_id": ids["points"], "code": "C1002"},
           fmts=("json",))


def reports(g: Golden, ids: dict) -> None:
    rep = {"type": "reports", "date_start": "2000-01-01", "date_end": "2999-12-31"}
    g.call("reports transactions_all", {**rep, "report": "transactions_all"})
    g.call("reports transactions_all: one campaign, last, by user, GET",
           {**rep, "report": "TRANSACTIONS_ALL", "selected_campaigns": f"{ids['points']},", "last": "2",
            "restrict_by_user": "clerk"}, enc="get")
    g.call("reports transactions_all: activations, open end",
           {"type": "reports", "report": "transactions_all", "date_start": "2000-01-01", "show_activations": "Y"},
           fmts=("json",))
    g.call("reports transactions_all: a range in the past", {"type": "reports", "report": "transactions_all",
                                                             "date_start": "2000-01-01", "date_end": "2000-12-31"})
    g.call("reports transactions_all: missing date_start", {"type": "reports", "report": "transactions_all"})
    g.call("reports transactions_all: bad dates", {"type": "reports", "report": "transactions_all",
                                                   "date_start": "2020-02-30", "date_end": "soon"})
    g.call("reports transactions_all: end before start", {"type": "reports", "report": "transactions_all",
                                                          "date_start": "2020-02-02", "date_end": "2020-02-01"})
    g.call("reports transactions_all: another account's campaign",
           {**rep, "report": "transactions_all", "selected_campaigns": ids["other"]})
    g.call("reports transactions_all: the other account", {**rep, "report": "transactions_all"}, who="omgr",
           fmts=("json",))

    g.call("reports customers_balances", {"type": "reports", "report": "customers_balances",
                                          "campaign_id": ids["points"]})
    g.call("reports customers_balances: paged, by selected_campaigns",
           {"type": "reports", "report": "customers_balances", "selected_campaigns": ids["giftcard"], "offset": "1",
            "limit": "1"}, who="clerk")
    g.call("reports customers_balances: buyx", {"type": "reports", "report": "customers_balances",
                                                "campaign_id": ids["buyx"]}, fmts=("json",))
    g.call("reports customers_balances: two campaigns", {"type": "reports", "report": "customers_balances",
                                                         "selected_campaigns": f"{ids['points']},{ids['buyx']}"})
    g.call("reports customers_balances: missing campaign", {"type": "reports", "report": "customers_balances"})
    g.call("reports customers_balances: bad limit", {"type": "reports", "report": "customers_balances",
                                                     "campaign_id": ids["points"], "limit": "0"})

    g.call("reports customers_all", {"type": "reports", "report": "customers_all"}, enc="multipart")
    g.call("reports customers_all: one campaign's members", {**rep, "report": "customers_all",
                                                             "selected_campaigns": ids["events"]})
    g.call("reports customers_new", {"type": "reports", "report": "customers_new", "date_start": "2000-01-01"},
           fmts=("json",))
    g.call("reports customers_new: nobody in 2001", {"type": "reports", "report": "customers_new",
                                                     "date_start": "2001-01-01", "date_end": "2001-12-31"})
    g.call("reports customers_new: missing date_start", {"type": "reports", "report": "customers_new"})
    g.call("reports customers_frequent", {**rep, "report": "customers_frequent", "frequency": "2"})
    g.call("reports customers_frequent: with redeems", {**rep, "report": "customers_frequent", "frequency": "3",
                                                        "include_redeemed": "Y"}, fmts=("xml",))
    g.call("reports customers_frequent: missing frequency", {**rep, "report": "customers_frequent"})
    g.call("reports customers_Inactive: nobody yet", {"type": "reports", "report": "customers_Inactive",
                                                      "Inactive_for": "30"})
    g.call("reports customers_inactive: lower-case field", {"type": "reports", "report": "customers_inactive",
                                                            "inactive_for": "1"}, fmts=("json",))
    g.call("reports customers_Inactive: missing Inactive_for", {"type": "reports", "report": "customers_Inactive"})
    g.call("reports customers_birthday: July", {"type": "reports", "report": "customers_birthday",
                                                "date_start": "2024-07-01", "date_end": "2024-07-31"})
    g.call("reports customers_birthday: over New Year", {"type": "reports", "report": "customers_birthday",
                                                         "date_start": "2024-12-15", "date_end": "2025-01-15"},
           fmts=("json",))
    g.call("reports customers_custom_date", {"type": "reports", "report": "customers_custom_date",
                                             "date_start": "1975-01-01", "date_end": "1985-12-31"})
    g.call("reports customers_custom_date: every date", {"type": "reports", "report": "customers_custom_date"},
           fmts=("xml",))
    g.call("reports customers_search", {"type": "reports", "report": "customers_search", "search_text": "LEE"})
    g.call("reports customers_search: by card digits", {"type": "reports", "report": "customers_search",
                                                        "search_text": "77700"}, fmts=("json",))
    g.call("reports customers_search: missing text", {"type": "reports", "report": "customers_search"})


def customer_removal(g: Golden, ids: dict) -> None:
    gone = {"type": "customer_delete"}
    g.call("customer_delete: staff", {**gone, "code": "C1003"}, who="clerk")
    g.call("customer_delete (then not found)", {**gone, "code": "C1003"})
    g.call("customer_delete: missing code", gone)
    g.call("customer_delete: another account's customer", {**gone, "code": "C1002"}, who="omgr")
    g.call("customer_search after the deletion", {"type": "customer_search", "first_name": "\u00e9lo"},
           fmts=("json",))
    g.call("campaign_delete campaign (then not found)", {"type": "campaign_delete", "action": "campaign",
                                                         "campaign_id": ids["temp"]})
    g.call("campaign_delete campaign: staff", {"type": "campaign_delete", "action": "campaign",
                                               "campaign_id": ids["points"]}, who="clerk")
    g.call("campaign_delete campaign: missing campaign_id", {"type": "campaign_delete", "action": "campaign"})
    g.call("campaigns_inactive_list after the deletion", {"type": "campaigns_inactive_list"}, fmts=("json",))
    g.call("campaigns_list at the end", {"type": "campaigns_list"}, fmts=("json",))


def catalogue(g: Golden) -> None:
    g.send("the /docs call catalogue", None, who=None, enc="get", path="/docs")
