"""A local SMTP catcher with a web inbox, for development and tests (never production).

Usage:  python infra/dev/mail_catcher.py --dir .data/dev/mail-catcher --smtp-port 1025 --http-port 1080

- SMTP (aiosmtpd) on 127.0.0.1:<smtp-port> accepts every message, delivers nothing, and keeps it
  as ``<dir>/<time>-<n>.eml`` (so the inbox survives a restart of ``make run``).
- The web inbox on http://127.0.0.1:<http-port>/ lists the messages, newest first; a message
  page shows its headers, its HTML part (in a sandboxed frame) and its text part.
- JSON for tests: ``GET /api/messages`` (oldest first: envelope sender and recipients, subject,
  headers, text, html); ``DELETE /api/messages`` empties the inbox.

Loopback only. Started by infra/dev/runtime.py (the EMAIL_URL it exports points here).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import itertools
import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

_counter = itertools.count()
_lock = threading.Lock()


class Store:
    """The caught messages, one .eml file each (the envelope in two X-Catcher-* headers)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> None:
        envelope = f"X-Catcher-From: {mail_from}\r\nX-Catcher-To: {', '.join(rcpt_tos)}\r\n".encode()
        with _lock:
            name = f"{time.time_ns()}-{next(_counter):06d}.eml"
            temporary = self.folder / f".{name}"
            temporary.write_bytes(envelope + data)
            temporary.replace(self.folder / name)

    def names(self) -> list[str]:
        return sorted(path.name for path in self.folder.glob("*.eml"))

    def read(self, name: str) -> dict | None:
        path = self.folder / Path(name).name
        if path.suffix != ".eml" or not path.is_file():
            return None
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        return {
            "id": path.name,
            "envelope_from": message["X-Catcher-From"],
            "envelope_to": [a.strip() for a in str(message["X-Catcher-To"] or "").split(",") if a.strip()],
            "subject": str(message["Subject"] or ""),
            "from": str(message["From"] or ""),
            "to": str(message["To"] or ""),
            "headers": {key: str(value) for key, value in message.items() if not key.startswith("X-Catcher")},
            "text": text_part.get_content() if text_part is not None else "",
            "html": html_part.get_content() if html_part is not None else "",
            "attachments": [
                part.get_filename() for part in message.iter_attachments() if part.get_filename()
            ],
        }

    def clear(self) -> None:
        for path in self.folder.glob("*.eml"):
            path.unlink(missing_ok=True)


class SmtpHandler:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.store.add(
            envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content
        )
        return "250 Message accepted for delivery"


PAGE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:0 auto;max-width:64rem;padding:1rem;color:#1f2933}}
table{{width:100%;border-collapse:collapse}}td,th{{text-align:left;padding:.4rem;border-bottom:1px solid #e4e7eb;
vertical-align:top}}a{{color:#0b5cad}}iframe{{width:100%;height:32rem;border:1px solid #cbd2d9}}
pre{{white-space:pre-wrap;overflow-wrap:anywhere;background:#f4f5f7;padding:.8rem}}
td{{overflow-wrap:anywhere}}</style></head><body>{body}</body></html>"""


def make_http_handler(store: Store):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the base class's signature
            pass

        def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _page(self, title: str, body: str) -> None:
            self._send(
                200, PAGE.format(title=html.escape(title), body=body).encode(), "text/html; charset=utf-8"
            )

        def do_GET(self):  # noqa: N802
            path = self.path.split("?", 1)[0]
            if path == "/api/messages":
                messages = [store.read(name) for name in store.names()]
                self._send(200, json.dumps([m for m in messages if m]).encode(), "application/json")
            elif path == "/":
                rows = []
                for name in reversed(store.names()):
                    message = store.read(name)
                    if message:
                        rows.append(
                            f"<tr><td>{html.escape(message['to'])}</td><td><a href='/m/{name}'>"
                            f"{html.escape(message['subject']) or '(sans objet)'}</a></td>"
                            f"<td>{html.escape(message['from'])}</td></tr>"
                        )
                table = "".join(rows) or "<tr><td colspan=3>Aucun e-mail pour l'instant.</td></tr>"
                self._page(
                    "Boîte de réception locale",
                    "<h1>Boîte de réception locale</h1><p>Tous les e-mails envoyés par la plateforme "
                    "en développement arrivent ici ; aucun ne part vraiment.</p><table><tr><th>À</th>"
                    f"<th>Objet</th><th>De</th></tr>{table}</table>",
                )
            elif path.startswith("/m/") and path.endswith("/html"):
                message = store.read(path[3:-5])
                if message is None:
                    return self._send(404, b"introuvable", "text/plain; charset=utf-8")
                # The mail's own HTML, framed by the message page, scripts off.
                self._send(
                    200, message["html"].encode(), "text/html; charset=utf-8",
                    {"Content-Security-Policy": "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'"},
                )  # fmt: skip
            elif path.startswith("/m/"):
                name = path[3:]
                message = store.read(name)
                if message is None:
                    return self._send(404, b"introuvable", "text/plain; charset=utf-8")
                headers = "".join(
                    f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                    for k, v in message["headers"].items()
                )
                framed = (
                    f"<iframe sandbox src='/m/{name}/html' title='HTML'></iframe>" if message["html"] else ""
                )
                self._page(
                    message["subject"],
                    f"<p><a href='/'>← Boîte de réception</a></p><h1>{html.escape(message['subject'])}</h1>"
                    f"{framed}<h2>Texte</h2><pre>{html.escape(message['text'])}</pre>"
                    f"<h2>En-têtes</h2><table>{headers}</table>",
                )
            else:
                self._send(404, b"introuvable", "text/plain; charset=utf-8")

        def do_DELETE(self):  # noqa: N802
            if self.path == "/api/messages":
                store.clear()
                return self._send(204, b"", "text/plain")
            self._send(404, b"introuvable", "text/plain; charset=utf-8")

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--smtp-port", required=True, type=int)
    parser.add_argument("--http-port", required=True, type=int)
    options = parser.parse_args()
    store = Store(options.dir)
    controller = Controller(SmtpHandler(store), hostname="127.0.0.1", port=options.smtp_port)
    controller.start()
    http = ThreadingHTTPServer(("127.0.0.1", options.http_port), make_http_handler(store))
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=http.shutdown).start())
    try:
        http.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
