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
from urllib.parse import unquote_to_bytes

from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request

from .messages import BAD_CALLBACK, BAD_OUTPUT, INVALID_FIELD, LegacyError
from .render import OutputFormat

MAX_PARTS = 1000
BODY_ENDED_EARLY = "The request body is shorter than its Content-Length"
_URLENCODED = "application/x-www-form-urlencoded"
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
    """``parse_qsl(keep_blank_values=True)`` on bytes: pairs split on ``&``, ``+`` is a space, and
    percent escapes become the bytes they stand for (the text encoding is decided afterwards).

    Written out because every request parses a form: this is a third of ``parse_qsl``'s cost on a
    typical legacy body (tests/test_transport.py compares the two on random input).
    """
    if not raw:
        return []
    if raw.count(b"&") >= MAX_PARTS:
        raise LegacyError(TOO_MANY_FIELDS)
    # Most bodies hold neither '+' nor '%': then no pair needs unescaping. (Looking for an int in bytes
    # is several times faster than looking for a one-byte bytes object.)
    escaped = _PLUS in raw or _PERCENT in raw
    pairs = []
    for chunk in raw.split(b"&"):
        if not chunk:
            continue
        key, _, value = chunk.partition(b"=")
        if escaped:
            if _PLUS in key:
                key = key.replace(b"+", b" ")
            if _PERCENT in key:
                key = unquote_to_bytes(key)
            if _PLUS in value:
                value = value.replace(b"+", b" ")
            if _PERCENT in value:
                value = unquote_to_bytes(value)
        pairs.append((key, value))
    return pairs


_PLUS, _PERCENT = ord("+"), ord("%")


def _multipart_pairs(raw: bytes, boundary: bytes) -> list[tuple[bytes, bytes]]:
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


def _merge(form: dict[str, str], pairs: list[tuple[bytes, bytes]]) -> None:
    form.update(decode_pairs(pairs))  # in order: a repeated field keeps its last value


def refuse_nul(form: dict[str, str]) -> None:
    """PostgreSQL cannot store NUL and no legacy client sends one: refuse it rather than guess."""
    for key, value in form.items():
        if "\x00" in key or "\x00" in value:
            raise LegacyError(INVALID_FIELD.format(key.replace("\x00", "")[:64], "NUL characters are not allowed"))


def _query_pairs(request: Request) -> list[tuple[bytes, bytes]]:
    # WSGI hands the query string over as latin-1 text: encoding it back gives the bytes sent.
    query = request.environ.get("QUERY_STRING", "")
    return _urlencoded_pairs(query.encode("latin-1", "replace")) if query else []


def _body(request: Request, limit: int | None) -> bytes:
    """The body, refused (``RequestEntityTooLarge``) over ``limit`` bytes (the app's ``MAX_CONTENT_LENGTH``).

    A body with a Content-Length, as every legacy client sends, is read from the WSGI stream at once:
    Werkzeug's stream wrappers cost more than parsing the form (bench/wsgi_micro.py). A chunked body
    or one without a length takes Werkzeug's path.
    """
    environ = request.environ
    length = environ.get("CONTENT_LENGTH", "")
    if not length.isdigit() or "HTTP_TRANSFER_ENCODING" in environ:
        return request.get_data(cache=True)
    size = int(length)
    if limit is not None and size > limit:
        raise RequestEntityTooLarge()
    raw = environ["wsgi.input"].read(size) if size else b""
    if len(raw) != size:
        raise LegacyError(BODY_ENDED_EARLY)
    return raw


def read_form(request: Request, limit: int | None) -> dict[str, str]:
    """The merged form: query string first, then the body over it (at most ``limit`` bytes)."""
    form: dict[str, str] = {}
    _merge(form, _query_pairs(request))
    raw = _body(request, limit)
    if raw:
        # What nearly every legacy client sends, compared before parsing the header's parameters.
        content_type = request.environ.get("CONTENT_TYPE", "")
        mimetype = "application/x-www-form-urlencoded" if content_type == _URLENCODED else request.mimetype
        if mimetype == "multipart/form-data":
            boundary = request.mimetype_params.get("boundary", "").encode("latin-1", "replace")
            if not boundary:
                raise LegacyError("Malformed multipart body: no boundary")
            try:
                pairs = _multipart_pairs(raw, boundary)
            except ValueError:
                raise LegacyError("Malformed multipart body") from None
        elif mimetype in (_URLENCODED, "", "text/plain"):
            pairs = _urlencoded_pairs(raw)
        else:
            pairs = []  # a JSON or XML body is not the legacy API; its fields are not read
        _merge(form, pairs)
    return form


def query_form(request: Request) -> dict[str, str]:
    """Only the query string: what can be known about the caller when the body is refused.

    Never raises: it only chooses the format of an error answer, so an unreadable query gives XML.
    """
    try:
        return dict(decode_pairs(_query_pairs(request)))
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
