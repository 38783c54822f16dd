"""Reading and parsing inbound webhook bodies, bounded in size.

`read_body` honours Content-Length upfront and counts bytes while streaming, so a 1 GB
body (or a chunked one, or one whose Content-Length lies) is refused at the limit rather
than read first. `parse_body` turns the raw bytes into the event's `data`:

- JSON (`application/json`, `*+json`): the parsed value; NaN/Infinity refused.
- `application/x-www-form-urlencoded` and `multipart/form-data`: a dict of fields, a
  repeated field becoming a list; multipart file parts are refused (415).
- `text/*`: the decoded text.
- no Content-Type: JSON when the body is JSON, else refused (415).
- an empty body, whatever the type: `{}` (so `event.data.get(...)` works in rules).

Whatever parsed must also be storable and showable: lone surrogates (`"\\ud800"`),
non-finite numbers (`1e400`) and nesting deeper than `constants.MAX_NESTING` are refused
(400) here, once, rather than breaking a view or a run later (`bridge.payloads`).

Every refusal is a `BodyError` carrying the HTTP status and a message for the sender.
"""

from __future__ import annotations

import json
import logging
import math
import re
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from bridge.payloads import nesting_problem, problem

logger = logging.getLogger("bridge.web.bodies")

#: Most fields a form body may have.
MAX_FIELDS = 1000
#: A JSON escape of a UTF-16 surrogate, `\\ud800` to `\\udfff` (maybe escaped itself).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class BodyError(Exception):
    """A body the endpoint refuses: `status` is the HTTP answer, `message` says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _too_large(limit: int) -> BodyError:
    return BodyError(413, f"body is larger than the {limit} byte limit")


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused (413) as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise BodyError(400, "Content-Length is not a number") from None
        if size > limit:
            raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    """Strict JSON from UTF-8 bytes (400 on bad UTF-8, bad JSON, absurd nesting)."""
    return _load_json(body).data


class _Parsed(NamedTuple):
    data: Any
    #: True when only the value's nesting can still be unsound: no number overflowed to
    #: infinity and the body spells no UTF-16 surrogate escape (the only way valid UTF-8
    #: parses to a lone surrogate), so `problem`'s walk over every string and number can
    #: be skipped for its depth check alone.
    sound: bool = False
    #: The body's JSON text, when it can be stored as the data's encoding: on one line
    #: (a literal newline in JSON is layout, never data), so not a pretty-printed body
    #: that would take more room than the encoded value.
    text: str | None = None


def _load_json(body: bytes) -> _Parsed:
    """`parse_json`, with what `_Parsed` says of it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError(400, "body is not valid UTF-8") from None
    infinite = False

    def number(literal: str) -> float:
        nonlocal infinite
        value = float(literal)  # what json does by default, watched for overflow
        infinite = infinite or math.isinf(value)
        return value

    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_float=number)
    except RecursionError:
        raise BodyError(400, "body is not valid JSON: nested too deeply") from None
    except ValueError as exc:
        raise BodyError(400, f"body is not valid JSON: {exc}") from None
    surrogates = b"\\u" in body and _SURROGATE_ESCAPE.search(body) is not None
    return _Parsed(
        data, not (infinite or surrogates), None if "\n" in text else text.strip(" \t\r")
    )


def _add_field(fields: dict[str, Any], name: str, value: str) -> None:
    if len(fields) >= MAX_FIELDS and name not in fields:
        raise BodyError(400, f"form has more than {MAX_FIELDS} fields")
    if name not in fields:
        fields[name] = value
    elif isinstance(fields[name], list):
        fields[name].append(value)
    else:
        fields[name] = [fields[name], value]


def parse_form(body: bytes) -> dict[str, Any]:
    """URL-encoded form fields; percent-escapes must decode as UTF-8."""
    try:
        text = body.decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise BodyError(400, "form body is not valid URL-encoded UTF-8") from None
    fields: dict[str, Any] = {}
    for name, value in pairs:
        _add_field(fields, name, value)
    return fields


class _Parts:
    """Collects multipart fields through python-multipart's callbacks."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.ended = False
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._disposition = b""
        self._data = bytearray()

    def part_begin(self) -> None:
        self._disposition = b""
        self._data = bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def header_end(self) -> None:
        if bytes(self._header_name).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_name = bytearray()
        self._header_value = bytearray()

    def headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"filename" in options or b"filename*" in options:
            raise BodyError(415, "file uploads are not accepted: send form fields only")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        self._data += data[start:end]

    def part_end(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name")
        if name is None:
            raise BodyError(400, "multipart part without a field name")
        try:
            _add_field(self.fields, name.decode("utf-8"), self._data.decode("utf-8"))
        except UnicodeDecodeError:
            raise BodyError(400, "multipart field is not valid UTF-8") from None

    def end(self) -> None:
        self.ended = True


def parse_multipart(body: bytes, boundary: bytes | None) -> dict[str, Any]:
    """Multipart form fields; a part with a filename (a file upload) is refused with 415."""
    if not boundary:
        raise BodyError(400, "multipart body without a boundary")
    parts = _Parts()
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": parts.part_begin,
            "on_header_field": parts.header_field,
            "on_header_value": parts.header_value,
            "on_header_end": parts.header_end,
            "on_headers_finished": parts.headers_finished,
            "on_part_data": parts.part_data,
            "on_part_end": parts.part_end,
            "on_end": parts.end,
        },
    )
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise BodyError(400, f"multipart body is malformed: {exc}") from None
    if not parts.ended:
        raise BodyError(400, "multipart body is truncated (no closing boundary)")
    return parts.fields


def parse_body(body: bytes, content_type: str | None) -> Any:
    """The event's `data` from the raw body and its Content-Type (BodyError when refused).

    Whatever the type, the result must be storable and showable everywhere: valid Unicode,
    finite numbers, nested at most `constants.MAX_NESTING` deep (400 otherwise).
    """
    return parse_body_with_text(body, content_type)[0]


def parse_body_with_text(body: bytes, content_type: str | None) -> tuple[Any, str | None]:
    """`parse_body`, and the body's text when it is JSON that can be stored as the data's
    encoding as it is (`bridge.events.event_json`), else None."""
    parsed = _parse(body, content_type)
    why = nesting_problem(parsed.data) if parsed.sound else problem(parsed.data)
    if why is not None:
        raise BodyError(400, f"body refused: {why}")
    return parsed.data, parsed.text


def _parse(body: bytes, content_type: str | None) -> _Parsed:
    """The parsed body (`_Parsed`)."""
    if not body.strip():
        return _Parsed({}, sound=True)
    if content_type == "application/json":  # the usual type, without parsing its options
        return _load_json(body)
    if not content_type:
        if body.lstrip()[:1] in (b"{", b"["):
            return _load_json(body)
        raise BodyError(415, "no Content-Type given; send application/json or a form")
    # Header values arrive latin-1 decoded; anything else is not a media type.
    media, options = parse_options_header(content_type.encode("latin-1", "replace"))
    media_type = media.decode("latin-1").lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        return _load_json(body)
    if media_type == "application/x-www-form-urlencoded":
        return _Parsed(parse_form(body))
    if media_type == "multipart/form-data":
        return _Parsed(parse_multipart(body, options.get(b"boundary")))
    if media_type.startswith("text/"):
        charset = options.get(b"charset", b"utf-8").decode("latin-1")
        try:
            return _Parsed(body.decode(charset))
        except (LookupError, UnicodeDecodeError):
            raise BodyError(400, f"body is not valid {charset} text") from None
    raise BodyError(415, f"unsupported Content-Type {media_type!r}")
