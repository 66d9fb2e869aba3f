"""Content-Encoding of large answers: gzip (the stdlib's zlib) or br (brotli), as the
client's ``Accept-Encoding`` allows (q-values; br first on a tie, as it is smaller).

:class:`Compression` is ASGI middleware over the whole server: a ``200`` answer of a
compressible type (text, JSON, XML, the RDF syntaxes, SVG) whose body is at least
:data:`MIN_SIZE` bytes is compressed as it streams, gets ``Content-Encoding``, loses its
``Content-Length`` and has its ``ETag`` made weak (``W/"…"``: the same content in another
coding, as nginx does; the server's conditional requests compare tags weakly); every such
answer, compressed or not, carries ``Vary: Accept-Encoding``. Left alone: small bodies
(below one TCP window compression saves no round trip and costs CPU), ``HEAD``,
answers that already have a ``Content-Encoding`` (a precompressed dump:
:func:`precompressed`), other statuses, and streamed event sources (``text/event-stream``:
compressing would hold events back in the compressor).

The dumps of a build are large and static: a ``FILE.br`` or ``FILE.gz`` beside ``FILE``
(no older than it) is sent as is, so that they cost no compression per request.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIN_SIZE = 8192
# Levels for answers made per request: fast, most of the gain (gzip 6 is zlib's default;
# br 5 compresses as well as gzip 9 at a fraction of its time; br 11 is for files made once).
GZIP_LEVEL = 6
BR_QUALITY = 5
ENCODINGS = ("br", "gzip")  # the server's preference on a tie
_COMPRESSIBLE = ("text/", "application/json", "application/xml", "image/svg+xml")
_COMPRESSIBLE_SUFFIXES = ("+json", "+xml")
_RDF = ("application/n-triples", "application/n-quads", "application/trig")


def accepted_encodings(header: str | None) -> list[str]:
    """The codings (br, gzip) a client's ``Accept-Encoding`` allows, best first (ties:
    br first). A coding's q is its own entry's, else ``*``'s; q=0 refuses it (RFC 9110
    §12.5.3); no header: identity only."""
    if not header:
        return []
    weights: dict[str, float] = {}
    for part in header.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name:
            weights[name.lower()] = q
    allowed = [(weights.get(c, weights.get("*", 0.0)), -i, c) for i, c in enumerate(ENCODINGS)]
    return [c for q, _, c in sorted(allowed, reverse=True) if q > 0]


def accepted_encoding(header: str | None) -> str | None:
    """The coding to compress with for this ``Accept-Encoding`` (None: identity)."""
    codings = accepted_encodings(header)
    return codings[0] if codings else None


def compressible(content_type: str) -> bool:
    """Whether answers of this Content-Type are worth compressing (text-like)."""
    media = content_type.split(";")[0].strip().lower()
    if media == "text/event-stream":
        return False
    return (
        media.startswith(_COMPRESSIBLE) or media.endswith(_COMPRESSIBLE_SUFFIXES) or media in _RDF
    )


def compressor(coding: str) -> tuple[Callable[[bytes], bytes], Callable[[], bytes]]:
    """(compress a chunk, finish) for ``coding``."""
    if coding == "br":
        br = brotli.Compressor(quality=BR_QUALITY)
        return br.process, br.finish
    gz = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # 31: the gzip container
    return gz.compress, gz.flush


def precompressed(path: Path, accept_encoding: str | None) -> tuple[Path, str] | None:
    """A ``.br``/``.gz`` file beside ``path`` in a coding the client accepts (its best
    first) and no older than ``path``: the file and its coding; else None."""
    extensions = {"br": ".br", "gzip": ".gz"}
    for coding in accepted_encodings(accept_encoding):
        sibling = path.with_name(path.name + extensions[coding])
        try:
            if sibling.stat().st_mtime_ns >= path.stat().st_mtime_ns:
                return sibling, coding
        except OSError:
            continue
    return None


def with_vary(headers: MutableHeaders) -> None:
    """Add Accept-Encoding to the answer's Vary."""
    vary = headers.get("vary")
    if vary is None:
        headers["Vary"] = "Accept-Encoding"
    elif "accept-encoding" not in vary.lower():
        headers["Vary"] = f"{vary}, Accept-Encoding"


class Compression:
    """ASGI middleware: gzip/br for large answers (see the module doc)."""

    def __init__(self, app: ASGIApp, minimum: int = MIN_SIZE) -> None:
        self.app = app
        self.minimum = minimum

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") == "HEAD":
            await self.app(scope, receive, send)
            return
        coding = accepted_encoding(Headers(scope=scope).get("accept-encoding"))
        await self.app(scope, receive, _Sender(send, coding, self.minimum).send)


class _Sender:
    """One answer's ``send``: holds the start until the first body says how large it is,
    then passes the answer through or compresses it as it streams."""

    def __init__(self, send: Send, coding: str | None, minimum: int) -> None:
        self._send = send
        self.coding = coding
        self.minimum = minimum
        self.start: Message | None = None
        self.compress: Callable[[bytes], bytes] | None = None
        self.finish: Callable[[], bytes] | None = None
        self.decided = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body" or self.decided:
            await self._body(message)
            return
        self.decided = True
        assert self.start is not None
        self._decide(self.start, message)
        await self._send(self.start)
        await self._body(message)

    def _decide(self, start: Message, first: Message) -> None:
        headers = MutableHeaders(raw=start["headers"])
        length = headers.get("content-length")
        size = int(length) if length and length.isdigit() else None
        if size is None and not first.get("more_body", False):
            size = len(first.get("body", b""))
        if (
            start["status"] != 200
            or "content-encoding" in headers
            or not compressible(headers.get("content-type", ""))
            or (size is not None and size < self.minimum)
        ):
            return
        with_vary(headers)
        if self.coding is None:
            return
        self.compress, self.finish = compressor(self.coding)
        del headers["content-length"]
        if "accept-ranges" in headers:  # byte ranges are of the file, not of its coding
            del headers["accept-ranges"]
        headers["Content-Encoding"] = self.coding
        tag = headers.get("etag")
        if tag and not tag.startswith("W/"):
            headers["ETag"] = "W/" + tag

    async def _body(self, message: Message) -> None:
        if self.compress is None or self.finish is None or message["type"] != "http.response.body":
            await self._send(message)
            return
        data = self.compress(message.get("body", b""))
        more = message.get("more_body", False)
        if not more:
            data += self.finish()
        if data or not more:
            await self._send({"type": "http.response.body", "body": data, "more_body": more})
