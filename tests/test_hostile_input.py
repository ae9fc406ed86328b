"""Hostile and broken input: never a 500, always a clear error in the caller's format, nothing changed."""
from __future__ import annotations

import json

import pytest
from lxml import etree

from conftest import MANAGER_KEY
from gateway.domain.models import ALL_MODELS, Campaign

AUTH = {"user_id": "mgr", "user_password": MANAGER_KEY, "account_id": "shop"}
NEW = {**AUTH, "type": "campaign_new", "action": "campaign", "campaign_type": "points", "campaign_name": "Safe"}


# A failed key or password is counted on its row (docs/users.md, throttling): the one deliberate write.
THROTTLE_COLUMNS = {"failures", "failed_since", "locked_until"}


def snapshot() -> dict:
    return {m.__name__: sorted(map(repr, m.select(*[f for f in m._meta.sorted_fields if f.name not in THROTTLE_COLUMNS])
                                   .tuples())) for m in ALL_MODELS}


def answer(response) -> dict:
    """The parsed answer, whatever the format; fails on a 500 or on a body that does not parse."""
    assert response.status_code == 200, response.data[:300]
    if response.content_type.startswith("text/xml"):
        root = etree.fromstring(response.data)
        return {"status": root.get("status"), "error": root.findtext("error")}
    return json.loads(response.data)


def refused(client, message: str, **kwargs) -> None:
    before = snapshot()
    doc = answer(client.post("/", **kwargs))
    assert doc["status"] == "error" and doc["error"] == message, doc
    assert snapshot() == before


def names() -> list[str]:
    return [c.name for c in Campaign.select().order_by(Campaign.created, Campaign.name)]


CALLBACK = "Invalid callback: it must be a dotted JavaScript identifier of at most 128 characters"


@pytest.mark.parametrize("callback", ["alert(document.cookie)//", "a\nb", "x" * 129, "\u0441b", "cb\x00", ""])
def test_bad_callback_on_a_write_changes_nothing(client, callback):
    if not callback:  # an empty callback is no callback: plain XML
        doc = answer(client.post("/", data={**NEW, "callback": ""}))
        assert doc["status"] == "success"
        return
    refused(client, CALLBACK, data={**NEW, "callback": callback})


def test_huge_body_changes_nothing(client):
    refused(client, "Request body too large: the limit is 1048576 bytes",
            data={**NEW, "description": "A" * (2 * 1024 * 1024)})


def test_huge_multipart_body_changes_nothing(client):
    # Built by hand: the test client would spool a large multipart body to a file it never closes.
    fields = {**NEW, "description": "A" * (2 * 1024 * 1024)}
    body = b"".join(f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items())
    refused(client, "Request body too large: the limit is 1048576 bytes", data=body + b"--b--\r\n",
            content_type="multipart/form-data; boundary=b")


def test_latin1_body_loses_no_field(client):
    body = "&".join(f"{k}={v}" for k, v in NEW.items() if k != "campaign_name") + "&campaign_name=Gr%FC%DFe&output=json"
    doc = answer(client.post("/", data=body, content_type="application/x-www-form-urlencoded"))
    assert doc["status"] == "success" and names() == ["Gr\u00fc\u00dfe"]


@pytest.mark.parametrize("where", ["campaign_name", "description"])
def test_control_characters_are_stored_and_xml_stays_well_formed(client, where):
    value = "Ctl\x01\x02\x1b[31m\x7f"
    doc = answer(client.post("/", data={**NEW, where: value}))
    assert doc["status"] == "success"
    root = etree.fromstring(client.post("/", data={**AUTH, "type": "campaigns_list"}).data)
    assert root.findtext(f"campaigns/campaign/{where.replace('campaign_', '')}") == "Ctl\ufffd\ufffd\ufffd[31m\x7f"


def test_control_characters_in_a_type_give_a_clean_error(client):
    doc = answer(client.post("/", data={**AUTH, "type": "\x1b[2J\x07"}))
    assert doc["error"] == "Unknown type: \ufffd[2J\ufffd"


def test_repeated_fields_take_the_last_value(client):
    refused(client, "Invalid value for field campaign_type: must be one of points, giftcard, events, earned, buyx",
            data={**NEW, "campaign_type": ["points", "bogus"], "output": "json"})
    doc = answer(client.post("/", data={**NEW, "campaign_type": ["bogus", "points"], "campaign_name": ["A", "B"]}))
    assert doc["status"] == "success" and names() == ["B"]


SQLISH = ["x'); DROP TABLE campaign;--", "' OR '1'='1", "1; DELETE FROM \"user\"", "\\'; --", "%' OR 1=1 --"]


@pytest.mark.parametrize("text", SQLISH)
def test_sql_looking_text_is_stored_verbatim(client, text):
    doc = answer(client.post("/", data={**NEW, "campaign_name": text, "output": "json"}))
    assert doc["status"] == "success"
    assert names() == [text]
    listed = answer(client.post("/", data={**AUTH, "type": "campaigns_list", "output": "json"}))
    assert [c["name"] for c in listed["campaigns"]] == [text]


@pytest.mark.parametrize("field", ["user_id", "account_id", "user_password"])
@pytest.mark.parametrize("text", SQLISH)
def test_sql_looking_credentials_fail_authentication(client, field, text):
    refused(client, "Authentication failed", data={**NEW, field: text})


@pytest.mark.parametrize("text", SQLISH)
def test_sql_looking_type_and_action_are_unknown(client, text):
    refused(client, f"Unknown type: {text}", data={**NEW, "type": text})
    refused(client, f"Unknown action for type campaign_new: {text}", data={**NEW, "action": text})


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"campaign_name": "N" * 256}, "Invalid value for field campaign_name: at most 255 characters"),
        ({"description": "D" * 4001}, "Invalid value for field description: at most 4000 characters"),
        ({"user_id": "u" * 200_000}, "Authentication failed"),
        ({"account_id": "a" * 200_000}, "Authentication failed"),
        ({"user_password": "k" * 200_000}, "Authentication failed"),
        ({"type": "t" * 200_000}, "Unknown type: " + "t" * 64 + "..."),
        ({"action": "a" * 200_000}, "Unknown action for type campaign_new: " + "a" * 64 + "..."),
        ({"points_ratio": "9" * 200_000}, "Invalid value for field points_ratio: Not a valid number"),
    ],
)
def test_very_long_values_are_refused_clearly(client, fields, message):
    refused(client, message, data={**NEW, **fields})


def test_a_very_long_unknown_field_is_ignored(client):
    doc = answer(client.post("/", data={**NEW, "x" * 100_000: "y" * 100_000}))
    assert doc["status"] == "success"


@pytest.mark.parametrize("value", ["abc", "1e5", "NaN", "Infinity", "-Infinity", "0x10", "1.2.3", "--1", "1 000,5,5",
                                   "-5", "0", "99999999999999999999999", "\u0661\u0662x", "1_000"])
def test_invalid_numbers_are_refused(client, value):
    before = snapshot()
    doc = answer(client.post("/", data={**NEW, "points_ratio": value}))
    assert doc["status"] == "error"
    assert doc["error"].startswith("Invalid value for field points_ratio: "), doc
    assert snapshot() == before


def test_comma_decimal_is_a_number(client):
    doc = answer(client.post("/", data={**NEW, "points_ratio": "9,95", "output": "json"}))
    assert doc["status"] == "success"
    assert Campaign.get().points_ratio.startswith("9.95")


NUL = "Invalid value for field {}: NUL characters are not allowed"


@pytest.mark.parametrize("field", ["campaign_name", "description", "user_id", "account_id", "user_password", "type", "junk"])
def test_nul_bytes_are_refused(client, field):
    refused(client, NUL.format(field), data={**NEW, field: "a\x00b"})


def test_nul_bytes_are_refused_in_query_multipart_and_field_names(client):
    refused(client, NUL.format("description"), query_string={"description": "\x00"}, data=NEW)
    # The body's value replaces the query's, so the NUL never reaches the form.
    assert answer(client.post("/", query_string={"campaign_name": "\x00"}, data=NEW))["status"] == "success"
    refused(client, NUL.format("campaign_name"), data={**NEW, "campaign_name": "a\x00"}, content_type="multipart/form-data")
    refused(client, NUL.format("ab"), data=f"a%00b=1&{'&'.join(f'{k}={v}' for k, v in NEW.items())}",
            content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        (b"", "application/x-www-form-urlencoded", "Authentication failed"),
        (b"%zz=%&%=%E9%&type&user_id", "application/x-www-form-urlencoded", "Authentication failed"),
        (b"<request><type>campaigns_list</type></request>", "text/xml", "Authentication failed"),
        (b"\xff\xfe\x00garbage", "application/octet-stream", "Authentication failed"),
        (b"--b\r\nContent-Disposition: form-data\r\n\r\nnoname\r\n--b--\r\n", "multipart/form-data; boundary=b",
         "Authentication failed"),
        (b"garbage without any boundary", "multipart/form-data; boundary=b", "Malformed multipart body"),
        (b"--b\r\nContent-Disposition: form-data; name=\"caf\xe9\"\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b",
         "Malformed multipart body"),
    ],
)
def test_broken_bodies_give_clear_errors(client, body, content_type, message):
    refused(client, message, data=body, content_type=content_type)


def test_a_utf8_encoded_surrogate_is_read_as_windows_1252(client):
    body = "&".join(f"{k}={v}" for k, v in NEW.items() if k != "campaign_name") + "&campaign_name=%ED%A0%80"
    doc = answer(client.post("/", data=body, content_type="application/x-www-form-urlencoded"))
    assert doc["status"] == "success" and names() == ["\u00ed\u00a0\u20ac"]


def test_other_methods_are_not_the_api(client):
    assert client.put("/", data=NEW).status_code == 405
    assert client.delete("/api.php").status_code == 405
    assert Campaign.select().count() == 0
