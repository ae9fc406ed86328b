"""Responses: the XML and JSON envelopes, list shapes, escaping, JSONP, and the API-level errors."""
from __future__ import annotations

import json
import random

import pytest
from lxml import etree

from conftest import parse_jsonp
from gateway.legacy.render import XML, OutputFormat, render, render_error
from gateway.legacy.tree import E, Items, Row, el, from_plain, to_plain


def new_campaign(api, name="Stamp card") -> dict:
    return api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name=name)["campaign"]


def body(parts) -> bytes:
    return b"".join(parts)


# --- envelopes ---------------------------------------------------------------------------------------

def test_xml_success_envelope(api):
    response = api.call("campaign_new", action="campaign", campaign_type="points", campaign_name="Stamp")
    assert response.status_code == 200
    assert response.content_type == "text/xml; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<response status="success">\n')
    root = etree.fromstring(response.data)
    campaign = root.find("campaign")
    assert campaign.get("status") == "new"
    assert campaign.findtext("name") == "Stamp" and len(campaign.findtext("id")) == 16


def test_xml_error_envelope(api):
    response = api.call("nonsense")
    assert response.status_code == 200
    assert response.data == (b'<?xml version="1.0" encoding="UTF-8"?>\n<response status="error">\n'
                             b"  <error>Unknown type: nonsense</error>\n</response>\n")


def test_json_success_keeps_ids_as_strings_and_status_attribute_as_key(api):
    doc = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Stamp")
    assert doc["campaign"]["status"] == "new"
    assert isinstance(doc["campaign"]["id"], str) and doc["campaign"]["id"].isdigit()
    listed = api.ok("campaigns_list")["campaigns"][0]
    assert listed["id"] == doc["campaign"]["id"]


@pytest.mark.parametrize("count", [0, 1, 3])
def test_every_list_is_an_array_for_zero_one_or_many(api, count):
    for i in range(count):
        new_campaign(api, f"C{i}")
    for answer in (api.ok("campaigns_list"), api.jsonp("campaigns_list")):
        assert isinstance(answer["campaigns"], list)
        assert sorted(c["name"] for c in answer["campaigns"]) == [f"C{i}" for i in range(count)]
    root = api.xml("campaigns_list")
    assert len(root.findall("campaigns")) == 1
    assert len(root.findall("campaigns/campaign")) == count


def test_json_error_envelope_lists_every_message(api):
    doc = api.json("campaign_new", action="campaign")
    assert doc == {
        "status": "error",
        "error": "Missing required field: campaign_type",
        "errors": ["Missing required field: campaign_type", "Missing required field: campaign_name"],
    }


def test_same_facts_in_every_format(api, fmt):
    new_campaign(api, "Only one")
    answer = api.answer(fmt, "campaigns_list")
    campaigns = answer["campaigns"]
    # XML has a wrapper holding one <campaign>; JSON an array of one.
    campaign = campaigns["campaign"] if fmt == "xml" else campaigns[0]
    assert answer["status"] == "success" and campaign["name"] == "Only one"


@pytest.mark.parametrize(
    "form, message",
    [
        ({"type": "foo"}, "Unknown type: foo"),
        ({"type": "FOO"}, "Unknown type: FOO"),
        ({"type": ""}, "Missing required field: type"),
        ({}, "Missing required field: type"),
        ({"type": "campaign_new"}, "Missing required field: action"),
        ({"type": "campaign_new", "action": "teapot"}, "Unknown action for type campaign_new: teapot"),
    ],
)
def test_dispatch_errors_are_http_200_in_every_format(api, fmt, form, message):
    fields = {k: v for k, v in form.items() if k != "type"}
    type_ = form.get("type")
    data, headers = api.fields(type_ or "", fields)
    if type_ is None:
        del data["type"]
    extra = {"json": {"output": "json"}, "jsonp": {"callback": "cb"}, "xml": {}}[fmt]
    response = api.send({**data, **extra}, headers)
    assert response.status_code == 200
    if fmt == "xml":
        root = etree.fromstring(response.data)
        assert (root.get("status"), root.findtext("error")) == ("error", message)
    else:
        doc = json.loads(response.data) if fmt == "json" else parse_jsonp(response.data, "cb")
        assert doc == {"status": "error", "error": message, "errors": [message]}


# --- escaping and characters XML cannot hold ---------------------------------------------------------

def test_markup_characters_are_escaped_and_round_trip(api, fmt):
    name = 'Fish & Chips <b>"2 for 1"</b> \'A&amp;B\''
    new_campaign(api, name)
    raw = api.call("campaigns_list").data
    assert b"Fish &amp; Chips &lt;b&gt;" in raw and b"A&amp;amp;B" in raw
    answer = api.answer(fmt, "campaigns_list")
    campaign = answer["campaigns"]["campaign"] if fmt == "xml" else answer["campaigns"][0]
    assert campaign["name"] == name


CONTROL = "a\x01b\x08c\x0bd\x0ce\x1ff\x7fg\u0085h\ufffei"


def test_control_characters_become_replacement_characters_in_xml_only(api):
    api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="x", description=CONTROL)
    response = api.call("campaigns_list")
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    descriptions = [c.findtext("description") for c in root.iter("campaign")]
    # XML 1.0 keeps DEL and C1 (0x7f, 0x85); the rest, and U+FFFE, become U+FFFD.
    assert "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\x7fg\u0085h\ufffdi" in descriptions
    doc = api.ok("campaigns_list")
    assert CONTROL in [c["description"] for c in doc["campaigns"]]
    assert b"\\u0001" in api.call("campaigns_list", output="json").data


def test_every_character_is_cleaned_as_the_xml_character_search_cleans_it():
    # clean_xml_text answers printable ASCII without searching it: the same text as the search gives.
    from gateway.legacy.render import _NOT_XML_CHAR, clean_xml_text

    search = lambda text: _NOT_XML_CHAR.sub("\ufffd", text)  # noqa: E731
    for code in range(0x110000):
        text = f"a{chr(code)}b"
        assert clean_xml_text(text) == search(text), hex(code)
    for text in ("", " ", "plain text 12.34", CONTROL, "tab\there\nline\r", "\x7f", "\ud800"):
        assert clean_xml_text(text) == search(text), repr(text)


def test_control_characters_in_an_error_message_keep_xml_well_formed(api):
    response = api.call("bad\x01\x02type")
    root = etree.fromstring(response.data)
    assert root.findtext("error") == "Unknown type: bad\ufffd\ufffdtype"


def test_non_ascii_text_is_utf8_in_xml_and_escaped_in_json(api):
    name = "Caf\u00e9 \u2603 \U0001f600"
    new_campaign(api, name)
    assert name.encode("utf-8") in api.call("campaigns_list").data
    raw = api.call("campaigns_list", output="json").data
    raw.decode("ascii")  # ensure_ascii: JSON bodies are pure ASCII
    assert json.loads(raw)["campaigns"][0]["name"] == name


# --- JSONP ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("callback", ["cb", "$", "_", "jQuery1113012345678901234_1400000000000", "a.b.$c_1", "x" * 128])
def test_jsonp_wraps_json_with_a_fixed_prefix(api, callback):
    response = api.call("campaigns_list", callback=callback)
    assert response.status_code == 200
    assert response.content_type == "text/javascript; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data.startswith(b"/**/" + callback.encode() + b"(")
    assert response.data.endswith(b");")
    doc = parse_jsonp(response.data, callback)
    assert (doc["status"], doc["campaigns"]) == ("success", [])


@pytest.mark.parametrize(
    "callback",
    ["alert(1)", "a b", "1abc", "a..b", "a.", ".a", "cb;alert(1)", "a[0]", "a-b", "x" * 129, "caf\u00e9", "cb//", "<script>"],
)
def test_bad_callback_is_refused_not_stripped(api, callback):
    response = api.call("campaign_new", action="campaign", campaign_type="points", campaign_name="never", callback=callback)
    assert response.status_code == 200
    assert response.content_type == "application/json; charset=utf-8"
    doc = json.loads(response.data)
    assert doc["status"] == "error"
    assert doc["error"] == "Invalid callback: it must be a dotted JavaScript identifier of at most 128 characters"
    assert not response.data.startswith(b"/**/")
    assert api.ok("campaigns_list")["campaigns"] == []


def test_jsonp_escapes_line_and_paragraph_separators(api):
    api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="ls\u2028ps\u2029end")
    raw = api.call("campaigns_list", callback="cb").data
    assert "\u2028".encode() not in raw and "\u2029".encode() not in raw
    assert b"\\u2028" in raw and b"\\u2029" in raw
    assert parse_jsonp(raw, "cb")["campaigns"][0]["name"] == "ls\u2028ps\u2029end"


def test_jsonp_errors_are_http_200_with_the_error_in_the_payload(api):
    response = api.call("nonsense", callback="handle")
    assert response.status_code == 200
    assert parse_jsonp(response.data, "handle")["error"] == "Unknown type: nonsense"


# --- the renderers on trees no call builds yet ---------------------------------------------------------

def tree(lazy: bool) -> list:
    rows = [el("transaction", id=i, amount=f"{i}.00", note="&<\x00") for i in range(3)]
    return [el("account", el("owner", name="A"), id="007"), Items("transactions", iter(rows) if lazy else rows, wrapped=False)]


@pytest.mark.parametrize("condensed", [False, True])
@pytest.mark.parametrize("kind", ["json", "jsonp"])
def test_streamed_json_is_byte_identical_to_built_json(kind, condensed):
    fmt = OutputFormat(kind, condensed, "cb" if kind == "jsonp" else None)
    streamed = body(render(fmt, "success", tree(lazy=True)))
    built = body(render(fmt, "success", tree(lazy=False)))
    assert streamed == built
    text = built.decode()
    doc = json.loads(text[len("/**/cb("):-2] if kind == "jsonp" else text)
    assert doc["account"] == {"owner": {"name": "A"}, "id": "007"}
    assert [t["id"] for t in doc["transactions"]] == ["0", "1", "2"]
    assert doc["transactions"][0]["note"] == "&<\x00"


def test_bare_list_repeats_elements_directly_under_the_root_even_for_one():
    one = [Items("transactions", [el("transaction", id=1)], wrapped=False)]
    root = etree.fromstring(body(render(OutputFormat("xml"), "success", one)))
    assert [c.tag for c in root] == ["transaction"]
    doc = json.loads(body(render(OutputFormat("json"), "success", one)))
    assert doc == {"status": "success", "transactions": [{"id": "1"}]}


def test_lazy_xml_streams_the_same_document():
    streamed = body(render(OutputFormat("xml"), "success", tree(lazy=True)))
    assert streamed == body(render(OutputFormat("xml"), "success", tree(lazy=False)))
    root = etree.fromstring(streamed)
    assert [t.findtext("note") for t in root.iter("transaction")] == ["&<\ufffd"] * 3


TEXTS = ["", "a", "  ", "é \u2028", "x\x01y", "<&>\"'", "\r\n\t x", "\r", " \r\n", "]]>", "\ud800", "\ufffe", None]


def _node(rnd: random.Random, depth: int):
    attrs = {"status": rnd.choice(["new", 'a"b\n\t\r<&>', "\x01"])} if rnd.random() < 0.2 else {}
    if depth > 2 or rnd.random() < 0.4:
        if not attrs and rnd.random() < 0.5:  # a leaf as handlers build it: a (tag, text) tuple
            return (rnd.choice(["a", "bb", "item"]), rnd.choice(TEXTS) or "")
        return E(rnd.choice(["a", "bb", "item"]), [], rnd.choice(TEXTS), attrs)
    kids = [
        Items(rnd.choice(["xs", "ys"]), [_node(rnd, depth + 1) for _ in range(rnd.randint(0, 2))], rnd.random() < 0.6)
        if rnd.random() < 0.3 else _node(rnd, depth + 1)
        for _ in range(rnd.randint(0, 3))
    ]
    return E(rnd.choice(["a", "bb", "item"]), kids, rnd.choice(TEXTS) if rnd.random() < 0.3 else None, attrs)


@pytest.mark.parametrize("fmt", [XML, OutputFormat("json"), OutputFormat("json", True), OutputFormat("jsonp", False, "cb")],
                         ids=["xml", "json", "condensed", "jsonp"])
def test_a_streamed_answer_is_byte_for_byte_the_answer_rendered_at_once(fmt):
    # On random trees: texts to escape or clean, attributes, nested and empty lists, repeated names.
    rnd = random.Random(7)
    for _ in range(1000):
        children = [
            Items(rnd.choice(["rewards", "customer", "status"]), [_node(rnd, 1) for _ in range(rnd.randint(0, 3))],
                  rnd.random() < 0.6)
            if rnd.random() < 0.4 else _node(rnd, 1)
            for _ in range(rnd.randint(0, 4))
        ]
        lazy = [Items(c.plural, iter(c.items), c.wrapped) if isinstance(c, Items) else c for c in children]
        at_once = b"".join(render(fmt, "success", children + [Items("zz", [], False)]))
        assert at_once == b"".join(render(fmt, "success", lazy + [Items("zz", iter(()), False)]))


def test_xml_refuses_an_invalid_element_name_as_lxml_does():
    with pytest.raises(ValueError):
        render(XML, "success", [E("bad name", [], "x")])


def test_a_leaf_tuple_and_a_text_element_render_alike_in_every_format():
    as_tuple = [E("r", [("a", "x&y"), ("b", ""), Items("cs", [E("c", [("d", "1")])])])]
    as_element = [E("r", [E("a", [], "x&y"), E("b", [], ""), Items("cs", [E("c", [E("d", [], "1")])])])]
    for fmt in (XML, OutputFormat("json"), OutputFormat("jsonp", callback="cb")):
        assert b"".join(render(fmt, "success", as_tuple)) == b"".join(render(fmt, "success", as_element))
    assert from_plain(to_plain(as_tuple)) == as_tuple


def test_empty_success_is_an_empty_response_element():
    assert body(render(OutputFormat("xml"), "success", [])) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<response status="success">\n</response>\n'
    )
    assert json.loads(body(render(OutputFormat("json"), "success", []))) == {"status": "success"}


def test_values_become_text_none_empty_bool_y_n():
    doc = json.loads(body(render(OutputFormat("json"), "success", [el("c", a=None, b=True, c=False, d=12, e=0)])))
    assert doc["c"] == {"a": "", "b": "Y", "c": "N", "d": "12", "e": "0"}


def test_error_envelope_in_condensed_json():
    raw = body(render_error(OutputFormat("json", condensed=True), ["one", "two"]))
    assert raw == b'{"status":"error","error":"one","errors":["one","two"]}'


def test_a_broken_database_gives_an_error_envelope_and_jsonp_still_gets_200(api):
    from gateway.domain import db

    # The user table moved aside (renamed, so the tables that reference it follow it there and back).
    db.database.execute_sql('ALTER TABLE "user" RENAME TO user_away')
    try:
        response = api.call("campaigns_list", output="json")
        assert response.status_code == 500
        doc = json.loads(response.data)
        # A missing table is no reason to retry: the answer names the operator's command.
        assert doc["status"] == "error"
        assert doc["error"] == "The database has no tables yet: the operator must run flask --app app init-db"
        response = api.call("campaigns_list", callback="cb")
        assert response.status_code == 200
        assert parse_jsonp(response.data, "cb")["error"] == doc["error"]
        root = etree.fromstring(api.call("campaigns_list").data)
        assert root.findtext("error") == doc["error"]
    finally:
        db.database.execute_sql('ALTER TABLE user_away RENAME TO "user"')


# --- Rows ---------------------------------------------------------------------------------------------

ROW_NAMES = ("id", "date", "note", "empty")
ROW_TEXTS = [("1", "2026-01-02 03:04:05", "plain", ""), ("2", "", "&<>\r\x00 \u00e9\u2028", "x"),
             ("", "", "", ""), ("3", "d", "tab\there\nnewline", "\U0001f600"),
             ("4", "100% {0} %s", "<b>&amp;</b>", "%%")]


def as_rows(lazy: bool = False) -> list:
    rows = [Row("entry", ROW_NAMES, texts) for texts in ROW_TEXTS]
    nested = el("customer", el("inner", name="A"), code="C1")
    nested.children.append(Items("entries", list(rows)))
    nested.children.append(Items("repeated", list(rows), wrapped=False))
    return [nested, Items("top", iter(rows) if lazy else rows), Items("bare", list(rows), wrapped=False), rows[1]]


def as_elements(lazy: bool = False) -> list:
    elements = [E("entry", list(zip(ROW_NAMES, texts))) for texts in ROW_TEXTS]
    nested = el("customer", el("inner", name="A"), code="C1")
    nested.children.append(Items("entries", list(elements)))
    nested.children.append(Items("repeated", list(elements), wrapped=False))
    return [nested, Items("top", iter(elements) if lazy else elements), Items("bare", list(elements), wrapped=False),
            elements[1]]


@pytest.mark.parametrize("lazy", [False, True])
@pytest.mark.parametrize("fmt", [OutputFormat("xml"), OutputFormat("json"), OutputFormat("json", True),
                                 OutputFormat("jsonp", False, "cb")], ids=["xml", "json", "condensed", "jsonp"])
def test_a_row_is_answered_as_the_element_it_stands_for(fmt, lazy):
    # Every format, built or streamed, gives a Row the bytes of the element it stands for, escaping and
    # empties included.
    rows = body(render(fmt, "success", as_rows(lazy)))
    assert rows == body(render(fmt, "success", as_elements(lazy)))
    if fmt.kind == "xml":
        root = etree.fromstring(rows)
        assert [e.findtext("note") for e in root.find("top")] == ["plain", "&<>\r\ufffd \u00e9\u2028", "", "tab\there\nnewline",
                                                            "<b>&amp;</b>"]
        assert root.find("top")[-1].findtext("date") == "100% {0} %s"


def test_rows_survive_the_idempotency_store_and_refuse_repeated_names():
    tree = as_rows()
    assert from_plain(json.loads(json.dumps(to_plain(tree)))) == tree
    assert type(from_plain(to_plain(tree))[-1]) is Row
    with pytest.raises(ValueError):
        body(render(OutputFormat("xml"), "success", [Row("entry", ("a", "a"), ("1", "2"))]))
    with pytest.raises(ValueError):
        body(render(OutputFormat("xml"), "success", [Row("entry", ("not a name",), ("1",))]))
