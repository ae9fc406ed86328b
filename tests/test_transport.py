"""Transport: paths, methods, body encodings, field precedence, output selection, charsets, body limit."""
from __future__ import annotations

import json
from urllib.parse import quote_from_bytes

import pytest
from lxml import etree

from conftest import MANAGER_KEY, parse_jsonp
from gateway import create_app
from gateway.domain import db

AUTH = {"user_id": "mgr", "user_password": MANAGER_KEY, "account_id": "shop"}
LATIN1_NAME = "Caf\u00e9 \u20ac5 na\u00efve"  # é and ï are Latin-1; € is 0x80 in Windows-1252


def names(api) -> list[str]:
    return [c["name"] for c in api.ok("campaigns_list")["campaigns"]]


def new_campaign(api, name="Stamp card", **fields) -> dict:
    return api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name=name, **fields)["campaign"]


@pytest.mark.parametrize("path", ["/", "/api.php"])
def test_both_paths_serve_the_api_in_every_encoding(api, encoding, path):
    api.encoding = encoding
    new_campaign(api, "Coffee")
    data, headers = api.fields("campaigns_list", {"output": "json"})
    response = api.send(data, headers, path=path)
    assert response.status_code == 200
    doc = json.loads(response.data)
    assert doc["status"] == "success"
    assert [c["name"] for c in doc["campaigns"]] == ["Coffee"]


def test_body_wins_over_query_string(client):
    response = client.post("/?type=nonsense&output=xml", data={**AUTH, "type": "campaigns_list", "output": "json"})
    doc = json.loads(response.data)
    assert (doc["status"], doc["campaigns"]) == ("success", [])


def test_query_string_fills_what_the_body_lacks(client):
    # jQuery-style: output and callback in the URL, the rest in the body.
    response = client.post("/?output=JSON&_=1400000000000", data={**AUTH, "type": "campaigns_list"})
    assert json.loads(response.data)["status"] == "success"


@pytest.mark.parametrize("kind", ["form", "multipart", "get"])
def test_repeated_field_takes_the_last_value(client, kind):
    data = {**AUTH, "type": ["bogus", "campaigns_list"], "output": ["xml", "json"]}
    if kind == "get":
        response = client.get("/", query_string=data)
    else:
        response = client.post("/", data=data, content_type="multipart/form-data" if kind == "multipart" else None)
    assert json.loads(response.data)["status"] == "success"
    data["type"] = ["campaigns_list", "bogus"]
    response = client.post("/", data=data)
    assert json.loads(response.data)["error"] == "Unknown type: bogus"


def test_unknown_fields_are_ignored(api):
    doc = api.ok("campaigns_list", _="1400000000000", foo="bar", API="1.5", **{"weird[]": "x"})
    assert doc["campaigns"] == []


@pytest.mark.parametrize("output", ["JSON", "json", "Json", " json "])
def test_output_json_in_any_case(api, output):
    response = api.call("campaigns_list", output=output)
    assert response.content_type == "application/json; charset=utf-8"
    assert json.loads(response.data)["status"] == "success"


@pytest.mark.parametrize("output", [None, "XML", "xml", "Xml"])
def test_output_xml_by_default_and_in_any_case(api, output):
    response = api.call("campaigns_list", output=output)
    assert response.content_type == "text/xml; charset=utf-8"
    root = etree.fromstring(response.data)
    assert root.tag == "response" and root.get("status") == "success"


def test_unknown_output_is_an_error_in_xml(api):
    response = api.call("campaigns_list", output="yaml")
    root = etree.fromstring(response.data)
    assert root.get("status") == "error"
    assert root.findtext("error") == "Unknown output format: yaml (use XML or JSON)"


def test_callback_gives_jsonp_even_with_output_xml(api):
    response = api.call("campaigns_list", callback="cb", output="xml")
    assert response.content_type == "text/javascript; charset=utf-8"
    doc = parse_jsonp(response.data, "cb")
    assert (doc["status"], doc["campaigns"]) == ("success", [])


def test_json_and_xml_are_indented_and_condensed_json_has_no_white_space(api):
    new_campaign(api, "Two words")
    pretty = api.call("campaigns_list", output="json").data.decode()
    assert pretty.startswith('{\n  "status": "success"')
    condensed = api.call("campaigns_list", output="json", condensed="yes").data.decode()
    assert "\n" not in condensed and ": " not in condensed and ", " not in condensed
    assert json.loads(condensed) == json.loads(pretty)
    jsonp = api.call("campaigns_list", callback="cb", condensed="YES").data.decode()
    assert "\n" not in jsonp and jsonp.startswith('/**/cb({"status":"success"')
    xml = api.call("campaigns_list").data.decode()
    assert "\n  <campaigns>\n    <campaign>\n      <id>" in xml
    # condensed applies only to JSON(P): XML stays indented.
    assert api.call("campaigns_list", condensed="yes").data.decode() == xml


# --- Windows-1252 / Latin-1 bodies -------------------------------------------------------------------

def _latin1_fields(name: str) -> dict[str, bytes]:
    return {
        "user_id": b"mgr", "user_password": MANAGER_KEY.encode(), "account_id": b"shop", "output": b"json",
        "type": b"campaign_new", "action": b"campaign", "campaign_type": b"points",
        "campaign_name": name.encode("cp1252"), "description": "d\u00e9j\u00e0 vu".encode("cp1252"),
    }


def _urlencoded(fields: dict[str, bytes]) -> str:
    return "&".join(f"{k}={quote_from_bytes(v)}" for k, v in fields.items())


def _multipart(fields: dict[str, bytes], boundary: str = "----phpcurl1234") -> bytes:
    parts = [
        b"--" + boundary.encode() + b'\r\nContent-Disposition: form-data; name="' + k.encode() + b'"\r\n\r\n' + v + b"\r\n"
        for k, v in fields.items()
    ]
    return b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"


def _check_latin1_campaign(api, response):
    doc = json.loads(response.data)
    assert doc["status"] == "success", doc
    listed = api.ok("campaigns_list")["campaigns"]
    assert [(c["name"], c["description"]) for c in listed] == [(LATIN1_NAME, "d\u00e9j\u00e0 vu")]


def test_latin1_urlencoded_body_is_read_as_windows_1252(api, client):
    body = _urlencoded(_latin1_fields(LATIN1_NAME))
    _check_latin1_campaign(api, client.post("/", data=body, content_type="application/x-www-form-urlencoded"))


def test_latin1_multipart_body_is_read_as_windows_1252(api, client):
    boundary = "----phpcurl1234"
    response = client.post("/", data=_multipart(_latin1_fields(LATIN1_NAME), boundary),
                           content_type=f"multipart/form-data; boundary={boundary}")
    _check_latin1_campaign(api, response)


def test_latin1_query_string_is_read_as_windows_1252(api, client):
    _check_latin1_campaign(api, client.get("/?" + _urlencoded(_latin1_fields(LATIN1_NAME))))


def test_utf8_query_and_latin1_body_are_each_decoded_on_their_own(api, client):
    fields = _latin1_fields(LATIN1_NAME)
    description = quote_from_bytes("d\u00e9j\u00e0 vu".encode("utf-8"))
    query = f"campaign_type=points&description={description}"
    del fields["campaign_type"], fields["description"]
    response = client.post("/?" + query, data=_urlencoded(fields), content_type="application/x-www-form-urlencoded")
    _check_latin1_campaign(api, response)


def test_utf8_body_is_read_as_utf8(api, client):
    name = "Caf\u00e9 \u2603 \U0001f600"
    fields = {**_latin1_fields(LATIN1_NAME), "campaign_name": name.encode("utf-8"), "description": "d\u00e9j\u00e0 vu".encode()}
    response = client.post("/", data=_urlencoded(fields), content_type="application/x-www-form-urlencoded")
    assert json.loads(response.data)["status"] == "success"
    assert names(api) == [name]


def test_bytes_windows_1252_leaves_undefined_still_arrive(api, client):
    # 0x81 has no Windows-1252 character; browsers map it to U+0081, and so do we: the field survives.
    fields = {**_latin1_fields(LATIN1_NAME), "campaign_name": b"A\x81B\xe9"}
    response = client.post("/", data=_urlencoded(fields), content_type="application/x-www-form-urlencoded")
    assert json.loads(response.data)["status"] == "success"
    assert names(api) == ["A\x81B\u00e9"]


def test_a_json_body_is_not_read_as_form(client):
    response = client.post("/?output=json", data=json.dumps({**AUTH, "type": "campaigns_list"}),
                           content_type="application/json")
    assert json.loads(response.data)["error"] == "Authentication failed"


def test_multipart_without_boundary_is_a_clear_error(client):
    response = client.post("/?output=json", data=b"user_id=mgr", content_type="multipart/form-data")
    assert json.loads(response.data)["error"] == "Malformed multipart body: no boundary"


# --- body limit ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xml", "json", "jsonp"])
def test_body_over_one_mebibyte_is_refused_in_the_callers_format(api, client, fmt):
    query = {"xml": "", "json": "?output=json", "jsonp": "?callback=cb"}[fmt]
    fields = {**AUTH, "type": "campaign_new", "action": "campaign", "campaign_type": "points",
              "campaign_name": "Big", "description": "x" * (1024 * 1024)}
    response = client.post("/" + query, data=fields)
    assert response.status_code == 200
    message = "Request body too large: the limit is 1048576 bytes"
    if fmt == "xml":
        root = etree.fromstring(response.data)
        assert root.get("status") == "error" and root.findtext("error") == message
    else:
        doc = json.loads(response.data) if fmt == "json" else parse_jsonp(response.data, "cb")
        assert doc == {"status": "error", "error": message, "errors": [message]}
    assert names(api) == []


def test_body_just_under_the_limit_is_read(api, client):
    fields = {**AUTH, "output": "json", "type": "campaigns_list", "pad": ""}
    size = len("&".join(f"{k}={v}" for k, v in fields.items()))
    fields["pad"] = "x" * (1024 * 1024 - size)
    response = client.post("/", data=fields)
    assert json.loads(response.data)["status"] == "success"


def test_body_limit_is_configurable(tmp_path):
    application = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'small.db'}", "MAX_BODY_BYTES": 2000})
    try:
        client = application.test_client()
        response = client.post("/?output=json", data={"type": "campaigns_list", "pad": "y" * 2000})
        assert json.loads(response.data)["error"] == "Request body too large: the limit is 2000 bytes"
    finally:
        db.database.close()


@pytest.mark.parametrize("kind", ["form", "multipart", "get"])
def test_too_many_fields_is_a_clear_error(client, kind):
    data = {f"f{i}": "1" for i in range(1001)} | {**AUTH, "type": "campaigns_list"}
    if kind == "get":
        response = client.get("/", query_string=data)
    else:
        response = client.post("/", data=data, content_type="multipart/form-data" if kind == "multipart" else None)
    assert response.status_code == 200
    assert etree.fromstring(response.data).findtext("error") == "Too many form fields: the limit is 1000"


@pytest.mark.parametrize("kind", ["form", "get"])
def test_a_thousand_fields_are_read(client, kind):
    data = {**AUTH, "type": "campaigns_list", "output": "json"}
    data |= {f"f{i}": "" for i in range(1000 - len(data))}
    assert len(data) == 1000
    response = client.get("/", query_string=data) if kind == "get" else client.post("/", data=data)
    assert json.loads(response.data)["status"] == "success"


def test_urlencoded_escapes_blanks_and_empty_pairs(client):
    # "+" is a space, %XX a byte, a key without "=" a blank value; empty pairs between "&&" are skipped.
    body = f"&&user_id=mgr&user_password={MANAGER_KEY}&account_id=sh%6Fp&type=campaign+new&&output=json&flag"
    response = client.post("/", data=body, content_type="application/x-www-form-urlencoded")
    assert json.loads(response.data)["error"] == "Unknown type: campaign new"


def _raw_environ(body: bytes, **extra) -> dict:
    import io
    import sys

    environ = {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": "/", "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.version": (1, 0), "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False,
    }
    environ.update(extra)
    return environ


def _call(app, environ) -> tuple[str, bytes]:
    status = []
    body = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    return status[0], body


def test_a_body_shorter_than_its_content_length_is_refused(app):
    from urllib.parse import urlencode

    body = urlencode({**AUTH, "type": "campaigns_list"}).encode()
    status, answer = _call(app, _raw_environ(body, CONTENT_LENGTH=str(len(body) + 10)))
    assert status.startswith("200")
    assert etree.fromstring(answer).findtext("error") == "The request body is shorter than its Content-Length"


def test_a_body_without_content_length_is_read_as_the_server_hands_it_over(app):
    # A chunked request: the server (gunicorn) decodes the chunks and marks the stream as terminated.
    from urllib.parse import urlencode

    body = urlencode({**AUTH, "type": "campaigns_list"}).encode()
    status, answer = _call(app, _raw_environ(body, HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input_terminated": True}))
    assert etree.fromstring(answer).get("status") == "success"


def test_a_content_length_over_the_limit_is_refused_before_reading(app):
    status, answer = _call(app, _raw_environ(b"", CONTENT_LENGTH=str(2 * 1024 * 1024)))
    assert etree.fromstring(answer).findtext("error").startswith("Request body too large")
