"""GET /docs: generated from the registry, so every call and every field is there and cannot drift."""
from __future__ import annotations

from lxml import html

from gateway.legacy.docs_page import PERMISSION_TEXT
from gateway.legacy.registry import registry


def sections(client) -> dict:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    page = html.fromstring(response.data)
    return {s.get("id"): s for s in page.iter("section")}, page


def test_every_registered_call_appears_with_every_field_and_error(client):
    found, page = sections(client)
    calls = list(registry)
    assert len(calls) >= 2
    assert set(found) == {c.name for c in calls}
    assert page.xpath("string(//h2[contains(., 'calls')])") == f"{len(calls)} calls"
    for c in calls:
        section = found[c.name]
        heading = section.findtext(".//h2/code")
        assert heading == f"type={c.type}"
        if c.action:
            assert f"{c.selector[0]}={c.action}" in section.xpath("string(.//h2)")
        listed = {row.xpath("string(td[1])"): row.xpath("string(td[2])") for row in section.xpath(".//tr[td]")}
        for name, field in c.schema.fields.items():
            key = field.data_key or name
            assert key in listed, (c.name, key)
            assert listed[key] == ("required" if field.required else "optional")
        for pattern in getattr(c.schema, "patterns", {}).values():
            assert pattern.pattern in listed
        errors = [li.text_content() for li in section.xpath(".//ul/li")]
        assert all(e in errors for e in c.errors), (c.name, c.errors)
        text = section.text_content()
        assert PERMISSION_TEXT[c.permission] in text
        assert ("idempotency key" in text) == c.writes
        if c.summary:
            assert c.summary in text


def test_index_links_to_every_section(client):
    found, page = sections(client)
    links = [a.get("href") for a in page.xpath("//ul/li/a")]
    assert links == [f"#{c.name}" for c in registry]


def test_known_calls_show_their_fields(client):
    found, _ = sections(client)
    text = found["campaign_new/campaign"].text_content()
    for name in ("campaign_type", "campaign_name", "points_ratio", "one of points, giftcard, events, earned, buyx"):
        assert name in text
    assert "manager-level users only" in text


def test_common_errors_are_listed(client):
    _, page = sections(client)
    text = page.text_content()
    assert "Authentication failed" in text and "Unknown type: foo" in text and "Missing required field: type" in text
