"""The examples /docs shows are real answers: each registered call's BASE request (tests/test_docs_errors.py,
the request that succeeds after its set-up, plus the set-up in MORE below where a list would otherwise be
empty) is sent in XML and in JSON, and the request and both answers must equal the call's entry in
``gateway/legacy/examples.json``, the file the page reads.

A call without an entry fails here, so every new call gets its example. When an answer changes on purpose,
or a call is added, rewrite the file and review its diff::

    REWARDGATE_RECORD_EXAMPLES=1 python -m pytest -q tests/test_docs_examples.py

(as with the golden answers, the first backend to run writes an entry and any other compares with it).

What changes from run to run becomes a fixed stand-in, the way tests/test_legacy_golden.py normalises,
but with values a reader can take for real ones: every 16-digit number (campaign ids, generated codes and
card numbers) becomes 1000000000000001, 1000000000000002... in order of first appearance, request first;
a time token (36 capital letters) becomes ABCD..., an API key (32 hex digits) 0123...; a token's seconds
left (expires_in) become 60; a date within a day of the run becomes 2025-01-15, and its time 12:00:00.
"""
from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re

import pytest

from gateway.legacy.docs_page import EXAMPLES, load_examples

from test_docs_errors import (BASE, C1, DEACTIVATE, DEPRECIATION, EARN, FEE, ITEM, POINTS, PROMO, REWARD, calls,
                              prepare)

RECORD = os.environ.get("REWARDGATE_RECORD_EXAMPLES", "") not in ("", "0")
FORMATS = ("xml", "json")
STAND_IN_DAY, STAND_IN_TIME = "2025-01-15", "12:00:00"
_recorded: set[tuple[str, str]] = set()  # entries written by this run (record mode)

# Set-up added after a BASE request's own, so that a list shows a row: an empty list teaches a reader little.
MORE: dict[str, tuple] = {
    "campaigns_list": (POINTS,),
    "campaigns_inactive_list": (POINTS, DEACTIVATE),
    "campaign_rewards": (REWARD,),
    "campaign_promos": (PROMO,),
    "buyx_items_list": (ITEM,),
    "campaign_fees": (FEE,),
    "campaign_depreciations": (DEPRECIATION,),
    "customer_balance": (EARN,),
    "reports/transactions_all": (POINTS, C1, EARN),
    "reports/customers_balances": (C1, EARN),
    "reports/customers_all": (C1,),
    "reports/customers_new": (C1,),
    "reports/customers_frequent": (POINTS, C1, EARN),
    "reports/customers_search": (C1,),
}

_ID = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")
_TOKEN = re.compile(r"(?<![A-Za-z])[A-Z]{36}(?![A-Za-z])")  # a time token (gateway.domain.tokens)
_KEY = re.compile(r"(?<![0-9a-z])[0-9a-f]{32}(?![0-9a-z])")  # an API key user_new/user_login hand out
# Seconds left on a token: 60 unless the machine stalled a second between issuing and checking it.
_SECONDS_LEFT = re.compile(r'(<expires_in>|"expires_in": ")[0-9]+')
_WHEN = re.compile(r"(?<![0-9])([0-9]{4}-[0-9]{2}-[0-9]{2})(([ T])[0-9]{2}:[0-9]{2}:[0-9]{2})?(?![0-9])")


class Normaliser:
    """Stand-ins for one example: the same id gets the same stand-in in the request and the answer."""

    def __init__(self, started: dt.date):
        self.ids: dict[str, str] = {}
        self.tokens: dict[str, str] = {}
        self.keys: dict[str, str] = {}
        self.first, self.last = started - dt.timedelta(days=1), dt.date.today() + dt.timedelta(days=1)

    def __call__(self, text: str) -> str:
        text = _KEY.sub(self._key, _TOKEN.sub(self._token, _ID.sub(self._id, text)))
        return _SECONDS_LEFT.sub(r"\g<1>60", _WHEN.sub(self._when, text))

    def _id(self, match: re.Match) -> str:
        return self.ids.setdefault(match.group(0), str(10**15 + len(self.ids) + 1))

    def _token(self, match: re.Match) -> str:
        n = len(self.tokens)
        return self.tokens.setdefault(match.group(0), "".join(chr(65 + (n + i) % 26) for i in range(36)))

    def _key(self, match: re.Match) -> str:
        n = len(self.keys)
        return self.keys.setdefault(match.group(0), "".join("0123456789abcdef"[(n + i) % 16] for i in range(32)))

    def _when(self, match: re.Match) -> str:
        try:
            day = dt.date.fromisoformat(match.group(1))
        except ValueError:
            return match.group(0)
        if not self.first <= day <= self.last:
            return match.group(0)  # a date the request or its set-up sent: part of the example
        return STAND_IN_DAY + (match.group(3) + STAND_IN_TIME if match.group(2) else "")


def names() -> list[str]:
    return sorted(calls())


def record(name: str, fmt: str, request: dict, answer: str) -> None:
    examples = load_examples()
    entry = examples.setdefault(name, {})
    entry["request"], entry[fmt] = request, answer
    write(examples)
    _recorded.add((name, fmt))


def write(examples: dict) -> None:
    ordered = {name: {key: examples[name][key] for key in ("request", *FORMATS) if key in examples[name]}
               for name in sorted(examples)}
    EXAMPLES.write_text(json.dumps(ordered, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def differs(what: str, want: str, got: str) -> str:
    diff = "".join(difflib.unified_diff(want.splitlines(keepends=True), got.splitlines(keepends=True),
                                        fromfile=f"examples.json {what}", tofile="now"))
    return (f"{what} changed:\n{diff}\nIf this change is intended, rewrite the file with "
            "REWARDGATE_RECORD_EXAMPLES=1 (see the docstring).")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", names())
def test_example_is_a_real_answer(api, name, fmt):
    started = dt.date.today()
    assert name in BASE, f"{name} has no BASE request in tests/test_docs_errors.py"
    steps, fields = BASE[name]
    type_, form = prepare(api, name, steps + MORE.get(name, ()), fields)
    response = api.call(type_, **form, **({"output": "json"} if fmt == "json" else {}))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    if fmt == "json":
        assert json.loads(body)["status"] == "success", body
    else:
        assert '<response status="success"' in body, body

    normalise = Normaliser(started)
    request = {"user_id": api.user_id, "account_id": api.account_id, "type": type_}
    request.update({key: normalise(str(value)) for key, value in form.items() if value is not None})
    answer = normalise(body)

    if RECORD and (name, fmt) not in _recorded:
        record(name, fmt, request, answer)
        return
    example = load_examples().get(name)
    assert example and fmt in example, (
        f"no example recorded for {name} ({fmt}): run REWARDGATE_RECORD_EXAMPLES=1 python -m pytest -q "
        "tests/test_docs_examples.py and commit gateway/legacy/examples.json")
    assert example["request"] == request, differs(f"{name} request", json.dumps(example["request"], indent=1),
                                                    json.dumps(request, indent=1))
    assert example[fmt] == answer, differs(f"{name} {fmt} answer", example[fmt], answer)


def test_more_set_up_is_for_registered_calls():
    assert sorted(set(MORE) - set(names())) == []


def test_examples_are_those_of_the_registered_calls():
    """No example is kept for a call that is gone (record mode drops it), and every entry is complete."""
    examples = load_examples()
    registered = set(names())
    stale = set(examples) - registered
    if RECORD and stale:
        write({name: entry for name, entry in examples.items() if name in registered})
        examples = load_examples()
    assert sorted(set(examples) - registered) == [], "examples of calls that are not registered"
    for name, entry in examples.items():
        assert set(entry) == {"request", *FORMATS}, name
