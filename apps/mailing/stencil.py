"""A bulk message turned into bytes once, then given to each recipient with its own parts.

Producing a message's MIME (Django's ``message()`` then ``as_bytes``) costs most of a campaign
message's CPU, and it is the same work for every recipient of a campaign but for a few parts: the
``To`` header, the ``Message-ID``, the ``Date`` and the recipient's own unsubscribe link (in the
bodies and in ``List-Unsubscribe``). A ``Stencil`` is made from one message built the usual way
with a **mark** (a string standing for each recipient's own value) where the link goes; it
flattens it once with the standard library's generator, cuts the result into the pieces the
generator wrote, and for each recipient rewrites only the pieces that differ, each with the very
function the generator would have called on it:

- a header is written by the generator as ``policy.fold_binary(name, value)``, ``value`` being what
  Django stored (``forbid_multi_line_headers``: address sanitising, encoded-words for non-ASCII);
  the varying headers are computed so per recipient; the others are the stencil's bytes;
- a text part's payload is its text encoded line by line (8bit/7bit: the text itself; Django
  chooses quoted-printable when a line is longer than 998 bytes), and both encodings treat each
  line on its own: the encoded text is the concatenation of its lines' encodings. So the lines
  holding the mark are encoded per recipient (with the link in them), the other lines once.

Every cut is checked when the stencil is made (the pieces put back together must give the
generator's bytes exactly, else no stencil: the caller builds each message the usual way), and
a recipient whose parts would change the message's shape (a link that makes a line longer than
998 bytes, so that Django would switch the part to quoted-printable; a value that is not
printable ASCII; a boundary found in a varying part) gets ``None`` from ``render``: the caller
builds that message the usual way. The result equals Django's message but for the boundary, which
is the stencil's for all its messages (tests/campaigns/test_mime_stencil.py compares them).

Bytes are for a backend that sends bytes: Django's SMTP backend (``mail.Outbox.takes_bytes``).
A provider's API backend (django-anymail) reads the message's attributes: never a stencil there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.generator import NLCRE, BytesGenerator
from email.utils import formatdate
from io import BytesIO

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import (
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    forbid_multi_line_headers,
    sanitize_address,
    utf8_charset_qp,
)

CRLF = "\r\n"
# One line with its line break (the generator's: \r\n, \r or \n), or the last line without one.
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
QUOTED_PRINTABLE = "quoted-printable"


@dataclass(frozen=True)
class Rendered:
    """One recipient's message: the SMTP envelope and the bytes (the SMTP backend's ``_send``)."""

    envelope_from: str
    envelope_to: list[str]
    data: bytes
    to: list[str]
    subject: str
    message_id: str


def _eol(text: str) -> str:
    """The generator's line endings (``Generator._write_lines``)."""
    return NLCRE.sub(CRLF, text)


def _encode_8bit(text: str) -> bytes:
    return _eol(text).encode("utf-8")


def _encode_qp(text: str) -> bytes:
    # What Message.set_payload does with Django's quoted-printable charset, then the generator.
    return _eol(utf8_charset_qp.body_encode(text.encode("utf-8"))).encode("ascii")


def _long(length: int) -> bool:
    return length > RFC5322_EMAIL_LINE_LENGTH_LIMIT


class _Part:
    """A text part whose text holds the mark: its headers, and its text cut at line boundaries
    into chunks, the lines holding the mark apart (encoded per recipient)."""

    def __init__(self, text: str, headers: bytes, payload: bytes, mark: str, transfer_encoding: str) -> None:
        self.headers = headers
        self.mark = mark
        self.quoted_printable = transfer_encoding == QUOTED_PRINTABLE
        self.encode = _encode_qp if self.quoted_printable else _encode_8bit
        # Django's choice of quoted-printable, over its own notion of lines (str.splitlines).
        lines = text.splitlines()
        self.long_without_mark = any(
            _long(len(line.encode(errors="surrogateescape"))) for line in lines if mark not in line
        )
        self.marked = [
            (len(line.encode(errors="surrogateescape")), line.count(mark)) for line in lines if mark in line
        ]
        self.chunks: list[bytes | str] = []  # encoded constant chunks, or a line holding the mark
        constant = ""
        for line in _LINES.findall(text):
            if mark in line:
                if constant:
                    self.chunks.append(self.encode(constant))
                    constant = ""
                self.chunks.append(line)
            else:
                constant += line
        if constant:
            self.chunks.append(self.encode(constant))
        self.valid = (
            transfer_encoding in {"7bit", "8bit", QUOTED_PRINTABLE}
            and "".join(_LINES.findall(text)) == text
            and self._wants_quoted_printable(len(mark)) == self.quoted_printable
            and self.payload(mark) == payload
        )

    def _wants_quoted_printable(self, value_length: int) -> bool:
        grow = value_length - len(self.mark)
        return self.long_without_mark or any(_long(length + count * grow) for length, count in self.marked)

    def payload(self, value: str) -> bytes:
        return b"".join(
            chunk if isinstance(chunk, bytes) else self.encode(chunk.replace(self.mark, value))
            for chunk in self.chunks
        )

    def render(self, value: str, boundary: bytes) -> bytes | None:
        """The part's bytes with ``value`` for the mark, or None when Django would encode it
        otherwise (or the boundary would appear in it)."""
        if self._wants_quoted_printable(len(value)) != self.quoted_printable:
            return None
        payload = self.payload(value)
        if boundary in payload:
            return None
        return self.headers + payload


class Stencil:
    """See the module docstring. ``Stencil.of`` returns None for a message it cannot reproduce
    exactly (then build each message the usual way)."""

    # Headers set per recipient: the To and Message-ID the caller gives, the Date of now.
    _PER_RECIPIENT = {"to", "message-id", "date"}

    def __init__(self) -> None:
        self.pieces: list = []  # bytes, or a header's name (set per recipient), or a _Part

    @classmethod
    def of(cls, message: EmailMessage, *, mark: str) -> Stencil | None:
        """The stencil of ``message`` (built for a stand-in recipient, with ``mark`` where each
        recipient's own value goes: bodies and headers), or None."""
        stencil = cls()
        return stencil if stencil._cut(message, mark) else None

    def _cut(self, message: EmailMessage, mark: str) -> bool:  # noqa: PLR0911 - one refusal per shape
        self.mark = mark
        self.encoding = message.encoding or settings.DEFAULT_CHARSET
        if (
            self.encoding != "utf-8"
            or message.cc
            or message.bcc
            or message.attachments
            or "Message-ID" not in message.extra_headers
            or {name.lower() for name in message.extra_headers} & {"to", "date", "from", "cc", "reply-to"}
            or not _printable(mark)
            or any(mark in str(value) for value in (message.subject, message.from_email, *message.reply_to))
        ):
            return False
        texts = ([(message.body, message.content_subtype)] if message.body else []) + [
            (alternative.content, alternative.mimetype.partition("/")[2])
            for alternative in getattr(message, "alternatives", [])
            if alternative.mimetype.startswith("text/")
        ]
        self.extra_headers = dict(message.extra_headers)
        self.subject = str(message.subject)
        self.envelope_from = sanitize_address(message.from_email, self.encoding)
        msg = message.message()
        policy = msg.policy.clone(linesep=CRLF)
        out = BytesIO()
        BytesGenerator(out, mangle_from_=False).flatten(msg, unixfrom=False, linesep=CRLF)
        data = out.getvalue()
        subparts = msg.get_payload()
        if (
            not msg.is_multipart()
            or len(subparts) != len(texts)
            or len(texts) != len(getattr(message, "alternatives", [])) + bool(message.body)
        ):
            return False
        self.policy = policy
        pieces: list = []
        for name, value in msg.raw_items():
            if name.lower() in self._PER_RECIPIENT or (
                name in self.extra_headers and mark in self.extra_headers[name]
            ):
                pieces.append(name)
            else:
                pieces.append(policy.fold_binary(name, value))
        pieces.append(CRLF.encode())
        self.boundary = boundary = msg.get_boundary().encode("ascii")
        for index, (part, (text, subtype)) in enumerate(zip(subparts, texts, strict=True)):
            if part.get_content_type() != f"text/{subtype}" or part.is_multipart():
                return False
            part_out = BytesIO()
            BytesGenerator(part_out, mangle_from_=False, policy=policy).flatten(
                part, unixfrom=False, linesep=CRLF
            )
            part_bytes = part_out.getvalue()
            pieces.append((b"--" if index == 0 else b"\r\n--") + boundary + b"\r\n")
            if mark in text:
                headers, blank, payload = part_bytes.partition(b"\r\n\r\n")
                cut = _Part(
                    text, headers + blank, payload, mark, str(part["Content-Transfer-Encoding"]).lower()
                )
                if not blank or not cut.valid:
                    return False
                pieces.append(cut)
            else:
                pieces.append(part_bytes)
        pieces.append(b"\r\n--" + boundary + b"--\r\n")
        if any(isinstance(piece, bytes) and mark.encode() in piece for piece in pieces):
            return False  # the mark where it would not be replaced
        self.pieces = _merged(pieces)
        # The stand-in's own values must give back the generator's bytes exactly.
        rebuilt = self._data(
            to=message.to, message_id=self.extra_headers["Message-ID"], value=mark, date=msg["Date"]
        )
        return rebuilt == data

    def render(self, *, to: list[str], message_id: str, value: str) -> Rendered | None:
        """The message to ``to`` (header values, as ``EmailMessage.to``) with ``message_id`` and
        ``value`` for the mark, or None when this recipient's message must be built the usual way.
        Raises what Django raises for the same input (an address it cannot sanitise, a header
        with a line break)."""
        envelope_to = [sanitize_address(address, self.encoding) for address in to if address]
        if not envelope_to or not _printable(value) or self.mark in value:
            return None
        date = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
        data = self._data(to=to, message_id=message_id, value=value, date=date)
        if data is None:
            return None
        return Rendered(
            envelope_from=self.envelope_from, envelope_to=envelope_to, data=data, to=list(to),
            subject=self.subject, message_id=message_id,
        )  # fmt: skip

    def _data(self, *, to: list[str], message_id: str, value: str, date: str) -> bytes | None:
        given = {"to": ", ".join(str(address) for address in to), "message-id": message_id, "date": date}
        out = []
        for piece in self.pieces:
            if isinstance(piece, bytes):
                out.append(piece)
            elif isinstance(piece, str):  # a header, set as Django's message() sets it
                raw = given.get(piece.lower())
                if raw is None:
                    raw = self.extra_headers[piece].replace(self.mark, value)
                name, stored = forbid_multi_line_headers(piece, raw, self.encoding)
                folded = self.policy.fold_binary(name, stored)
                if self.boundary in folded:
                    return None
                out.append(folded)
            else:
                rendered = piece.render(value, self.boundary)
                if rendered is None:
                    return None
                out.append(rendered)
        return b"".join(out)


def _printable(value: str) -> bool:
    """ASCII without any line break or control character (what a link or a mark is)."""
    return value.isascii() and value.isprintable() and bool(value)


def _merged(pieces: list) -> list:
    """Consecutive bytes joined into one piece."""
    merged: list = []
    for piece in pieces:
        if isinstance(piece, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged
