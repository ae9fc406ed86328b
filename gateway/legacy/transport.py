"""From an HTTP request to one flat form and an output format, the way legacy clients send them.

- GET query, ``application/x-www-form-urlencoded`` and ``multipart/form-data`` (PHP curl with an array)
  are all read; a field in both the query string and the body takes the body's value.
- A repeated field takes its last value, as PHP's ``$_POST`` did on the original server.
- Bytes that are not UTF-8 (old PHP pages post Latin-1) are read as Windows-1252 rather than dropped:
  a body is decoded as UTF-8 when all of it is valid UTF-8, else all of it as Windows-1252.
"""
from __future__ import annotations

import codecs
import re
from urllib.parse import parse_qsl

from werkzeug.exceptions import ClientDisconnected
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData
from werkzeug.wrappers import Request

from .messages import BAD_CALLBACK, BAD_OUTPUT, INVALID_FIELD, LegacyError
from .render import OutputFormat

MAX_PARTS = 1000
BODY_ENDED_EARLY = "The request body is shorter than its Content-Length"
TOO_MANY_FIELDS = f"Too many form fields: the limit is {MAX_PARTS}"
_CALLBACK = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*", re.ASCII)


def _cp1252_gaps(error: UnicodeDecodeError):
    # The five bytes Windows-1252 leaves undefined map to the same code points, as browsers do.
    bad = error.object[error.start : error.end]
    return bad.decode("latin-1"), error.end


codecs.register_error("rewardgate-cp1252", _cp1252_gaps)


def decode_pairs(pairs: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    try:
        return [(k.decode("utf-8"), v.decode("utf-8")) for k, v in pairs]
    except UnicodeDecodeError:
        return [(k.decode("cp1252", "rewardgate-cp1252"), v.decode("cp1252", "rewardgate-cp1252")) for k, v in pairs]


def _urlencoded_pairs(raw: bytes) -> list[tuple[bytes, bytes]]:
    """The form's pairs as bytes: which text encoding they are in is decided afterwards (``decode_pairs``)."""
    # parse_qsl takes ASCII-only bytes: Latin-1 maps every byte to one character and back.
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1", max_num_fields=MAX_PARTS)
    except ValueError:  # more than MAX_PARTS fields
        raise LegacyError(TOO_MANY_FIELDS) from None
    return [(key.encode("latin-1"), value.encode("latin-1")) for key, value in pairs]


def _multipart_pairs(raw: bytes, boundary: bytes) -> list[tuple[bytes, bytes]]:
    # Werkzeug's decoder rather than request.form, which decodes every value as UTF-8 and loses Latin-1.
    decoder = MultipartDecoder(boundary, max_form_memory_size=len(raw) + 1)
    decoder.receive_data(raw)
    decoder.receive_data(None)
    pairs: list[tuple[bytes, bytes]] = []
    name, chunks, is_file = None, [], False
    while True:
        event = decoder.next_event()
        if isinstance(event, (NeedData, Epilogue)):
            break
        if isinstance(event, File):
            name, chunks, is_file = event.name, [], True
        elif isinstance(event, Field):
            name, chunks, is_file = event.name, [], False
        elif isinstance(event, Data):
            chunks.append(event.data)
            if not event.more_data and name is not None:
                if not is_file:  # uploaded files are no API field
                    # Werkzeug decoded the part's headers as UTF-8: back to the bytes that were sent.
                    pairs.append((name.encode("utf-8"), b"".join(chunks)))
                    if len(pairs) > MAX_PARTS:
                        raise LegacyError(TOO_MANY_FIELDS)
                name = None
    return pairs


def refuse_nul(form: dict[str, str]) -> None:
    """PostgreSQL cannot store NUL and no legacy client sends one: refuse it rather than guess."""
    for key, value in form.items():
        if "\x00" in key or "\x00" in value:
            raise LegacyError(INVALID_FIELD.format(key.replace("\x00", "")[:64], "NUL characters are not allowed"))


def _body(request: Request, limit: int | None) -> bytes:
    """The body, refused (``RequestEntityTooLarge``) over ``limit`` bytes (the app's ``MAX_CONTENT_LENGTH``)."""
    request.max_content_length = limit
    try:
        return request.get_data(cache=True)
    except ClientDisconnected:  # the stream ended before Content-Length bytes
        raise LegacyError(BODY_ENDED_EARLY) from None


def read_form(request: Request, limit: int | None) -> dict[str, str]:
    """The merged form: query string first, then the body over it (at most ``limit`` bytes)."""
    form = dict(decode_pairs(_urlencoded_pairs(request.query_string)))
    raw = _body(request, limit)
    if raw:
        mimetype = request.mimetype
        if mimetype == "multipart/form-data":
            boundary = request.mimetype_params.get("boundary", "").encode("latin-1", "replace")
            if not boundary:
                raise LegacyError("Malformed multipart body: no boundary")
            try:
                pairs = _multipart_pairs(raw, boundary)
            except ValueError:
                raise LegacyError("Malformed multipart body") from None
        elif mimetype in ("application/x-www-form-urlencoded", "", "text/plain"):
            pairs = _urlencoded_pairs(raw)
        else:
            pairs = []  # a JSON or XML body is not the legacy API; its fields are not read
        form.update(decode_pairs(pairs))  # in order: a repeated field keeps its last value
    return form


def query_form(request: Request) -> dict[str, str]:
    """Only the query string: what can be known about the caller when the body is refused.

    Never raises: it only chooses the format of an error answer, so an unreadable query gives XML.
    """
    try:
        return dict(decode_pairs(_urlencoded_pairs(request.query_string)))
    except LegacyError:
        return {}


def output_format(form: dict[str, str]) -> OutputFormat:
    """``output`` (any case, XML by default), ``callback`` for JSONP, ``condensed=yes``."""
    condensed = _condensed(form)
    callback = form.get("callback", "").strip()
    output = form.get("output", "").strip().lower()
    if callback:
        if len(callback) > 128 or not _CALLBACK.fullmatch(callback):
            raise LegacyError(BAD_CALLBACK)
        return OutputFormat("jsonp", condensed, callback)
    if output in ("", "xml"):
        return OutputFormat("xml")
    if output == "json":
        return OutputFormat("json", condensed)
    raise LegacyError(BAD_OUTPUT.format(form.get("output", "")[:40]))


def _condensed(form: dict[str, str]) -> bool:
    return form.get("condensed", "").strip().lower() in ("yes", "y", "true", "1")


def fallback_format(form: dict[str, str]) -> OutputFormat:
    """The format an error is given in when the requested one is itself unusable.

    A refused callback is answered in plain JSON: running a name we refused is what must not happen.
    """
    if form.get("callback") or form.get("output", "").strip().lower() == "json":
        return OutputFormat("json", _condensed(form))
    return OutputFormat("xml")
