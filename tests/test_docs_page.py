"""GET /docs: generated from the registry, so every call and every field is there and cannot drift; grouped
by the module that registers the calls; docstrings' ``code`` shown as code; an example under every call."""
from __future__ import annotations

import json
import re

from lxml import html

from gateway.legacy.calls import load_all
from gateway.legacy.docs_page import (FAMILIES, IGNORED, PERMISSION_TEXT, family_title, load_examples,
                                      permission_text, text_html)
from gateway.legacy.registry import registry

from conftest import MANAGER_KEY, OTHER_KEY, STAFF_KEY


def sections(client) -> tuple[dict, object]:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    page = html.fromstring(response.data)
    return {s.get("id"): s for s in page.iter("section")}, page


def plain(text: str) -> str:
    """A docstring's text as a reader sees it: the double backticks gone."""
    return text.replace("``", "")


def test_every_registered_call_appears_with_every_field_and_error(client):
    found, page = sections(client)
    calls = list(registry)
    assert len(calls) >= 2
    assert set(found) == {c.name for c in calls}
    assert page.xpath("string(//h2[contains(., ' calls')])") == f"{len(calls)} calls"
    for c in calls:
        section = found[c.name]
        heading = section.findtext(".//h3/code")
        assert heading == f"type={c.type}"
        if c.action:
            assert f"{c.selector[0]}={c.action}" in section.xpath("string(.//h3)")
        listed = {row.xpath("string(td[1])"): row.xpath("string(td[2])") for row in section.xpath(".//tr[td]")}
        for name, field in c.schema.fields.items():
            key = field.data_key or name
            assert key in listed, (c.name, key)
            assert listed[key] == ("required" if field.required else "optional")
        for pattern in getattr(c.schema, "patterns", {}).values():
            assert pattern.pattern in listed
        errors = [li.text_content() for li in section.xpath(".//ul[@class='errors']/li")]
        assert all(e in errors for e in c.errors), (c.name, c.errors)
        text = section.text_content()
        who = (PERMISSION_TEXT[c.permission] if c.permission in PERMISSION_TEXT
               else f"users holding the {c.permission} permission flag")
        own = getattr(c, "own", None)
        if own:
            who += f", or a user naming itself in {own[0]} who holds the {own[1]} permission flag"
        assert f"Who: {who}." in text
        assert ("idempotency key" in text) == c.writes
        if c.summary:
            assert plain(c.summary) in text


def test_calls_are_grouped_by_the_module_that_registers_them(client):
    found, page = sections(client)
    families = page.xpath("//div[@class='family']")
    seen = [div.get("id").removeprefix("family-") for div in families]
    assert sorted(seen) == sorted({c.family for c in registry})
    # the known families first, in the reader's order; any other after them
    known = [f for f in seen if f in FAMILIES]
    assert known == [f for f in FAMILIES if f in seen]
    assert seen[: len(known)] == known
    for div in families:
        family = div.get("id").removeprefix("family-")
        assert div.findtext("h2") == family_title(family)
        assert [s.get("id") for s in div.iter("section")] == [c.name for c in registry if c.family == family]
    titles = {div.get("id"): div.findtext("h2") for div in families}
    assert titles["family-campaigns"] == "Campaigns"
    assert titles["family-fees"] == "Fees and depreciations"
    assert "record_customer/new" in [s.get("id") for s in page.get_element_by_id("family-customers").iter("section")]
    assert "campaign_new/reward" in [s.get("id") for s in page.get_element_by_id("family-campaign_parts").iter("section")]


def test_index_is_grouped_the_same_way(client):
    _, page = sections(client)
    index = page.xpath("//ul[@class='index']")[0]
    groups = index.xpath("./li")
    order = [li.xpath("string(a/@href)") for li in groups]
    assert order == [f"#{div.get('id')}" for div in page.xpath("//div[@class='family']")]
    links = [a.get("href") for li in groups for a in li.xpath("./ul/li/a")]
    sections_in_page = [s.get("id") for s in page.iter("section")]
    assert links == [f"#{name}" for name in sections_in_page]
    assert sorted(links) == sorted(f"#{c.name}" for c in registry)
    for li in groups:
        target = page.get_element_by_id(li.xpath("string(a/@href)")[1:])
        assert li.xpath("string(a)") == target.findtext("h2")


def test_double_backticks_become_code_and_the_rest_is_escaped():
    assert text_html("Name them by ``<id>`` & not by ``name``.") == (
        "Name them by <code>&lt;id&gt;</code> &amp; not by <code>name</code>.")
    assert text_html("no code <b>here</b>") == "no code &lt;b&gt;here&lt;/b&gt;"


def test_docstrings_show_code_not_backticks(client):
    response = client.get("/docs")
    assert b"``" not in response.data
    found, page = sections(client)
    # reports.py's docstring: "``type=reports``: transactions and customers ..."
    intro = page.get_element_by_id("family-reports").find("p")
    assert intro.findtext("code") == "type=reports"
    coded = [c for c in registry if "``" in c.summary]
    assert coded, "no summary with code left to check"
    for c in coded:
        summary = found[c.name].find_class("summary")[0]
        assert [e.text for e in summary.iter("code")] == re.findall(r"``(.+?)``", c.summary)


def test_permission_flags_are_named():
    # The registry is frozen once an app is built, so a flag is checked on the function that words it.
    assert permission_text("add_user") == "users holding the <code>add_user</code> permission flag"
    assert permission_text("manage") == "manager-level users only"
    assert permission_text("view_user", ("user_id", "edit_my_info")) == (
        "users holding the <code>view_user</code> permission flag, or a user naming itself in <code>user_id</code> "
        "who holds the <code>edit_my_info</code> permission flag")
    load_all()
    flagged = [c for c in registry if c.permission not in PERMISSION_TEXT]
    assert flagged, "no call needs a flag: check a flagged call's page text some other way"


def test_every_call_shows_its_recorded_example(client):
    found, _ = sections(client)
    examples = load_examples()
    for c in registry:
        example = examples.get(c.name)
        assert example, f"no example for {c.name}: see tests/test_docs_examples.py"
        section = found[c.name]
        request = section.xpath("string(.//pre[@class='request'])")
        # compared whole: a batch's CSV value spans lines
        assert request == "\n".join(f"{k}={v}" for k, v in example["request"].items())
        assert f"type={c.type}" in request.splitlines()
        # the caller's key is never shown (user_login's example names the password it logs in with)
        assert all(key not in request for key in (MANAGER_KEY, STAFF_KEY, OTHER_KEY)), c.name
        assert section.xpath("string(.//pre[@class='xml'])") == example["xml"]
        assert section.xpath("string(.//pre[@class='json'])") == example["json"]
        assert json.loads(example["json"])["status"] == "success"


def test_ignored_fields_are_marked(client):
    found, _ = sections(client)
    marked = 0
    for c in registry:
        rows = {row.xpath("string(td[1])"): row.xpath("string(td[4])") for row in found[c.name].xpath(".//tr[td]")}
        for name, field in c.schema.fields.items():
            why = field.metadata.get("ignored")
            note = rows[field.data_key or name]
            assert note == (IGNORED + plain(why) if why else ""), (c.name, name)
            marked += bool(why)
    assert marked >= 1
    new = {row.xpath("string(td[1])"): row for row in found["record_customer/new"].xpath(".//tr[td]")}
    assert new["auto_add"].xpath("string(td[3])") == "any"
    assert new["auto_add"].xpath("string(td[4])") == (
        "accepted, ignored: its meaning in the legacy API was never documented")
    assert new["code"].xpath("string(td[4])") == ""


def test_an_ignored_field_accepts_any_value_and_changes_nothing(api):
    plain_answer = api.json("record_customer", customer_action="new", code="C1")
    assert plain_answer["status"] == "success"
    with_ignored = api.json("record_customer", customer_action="new", code="C2", auto_add="anything at all")
    assert with_ignored == {**plain_answer, "customer": {**plain_answer["customer"], "code": "C2"}}
    stored = [{k: v for k, v in api.json("customer_info", code=code)["customer"].items() if k not in ("code", "profile_uid")}
              for code in ("C1", "C2")]
    assert stored[0] == stored[1]
    xml = api.xml("record_customer", customer_action="new", code="C3", auto_add="1500")
    assert xml.get("status") == "success" and xml.findtext("customer/code") == "C3"


def test_aliases_are_named_on_their_call(client):
    found, _ = sections(client)
    assert "Also named type=balance." in found["customer_balance"].text_content()
    assert "Also named type=find_customer." in found["customer_find"].text_content()
    assert "Also named" not in found["customer_info"].text_content()


def test_common_errors_are_listed(client):
    _, page = sections(client)
    text = page.text_content()
    assert "Authentication failed" in text and "Unknown type: foo" in text and "Missing required field: type" in text


def test_known_calls_show_their_fields(client):
    found, _ = sections(client)
    text = found["campaign_new/campaign"].text_content()
    for name in ("campaign_type", "campaign_name", "points_ratio", "one of points, giftcard, events, earned, buyx"):
        assert name in text
    assert "Who: users holding the add_campaign permission flag." in text
    assert "Who: manager-level users only." in found["customer_delete"].text_content()


def test_the_examples_file_ships_with_the_package():
    # pyproject.toml lists it as package data, so an installed server shows the same page.
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert "examples.json" in pyproject["tool"]["setuptools"]["package-data"]["gateway.legacy"]
