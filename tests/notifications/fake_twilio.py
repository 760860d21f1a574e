"""A local stand-in for Twilio's Messages API, on 127.0.0.1, for the real `twilio` client.

POST /2010-04-01/Accounts/{sid}/Messages.json creates a message (JSON with `sid`, `status`);
GET on the same path lists them (newest first) filtered by To and From. Failures are scripted:
`fail_next(500)` answers the next create with a server error; numbers in `invalid_numbers` get
Twilio's 400 with error 21211. Basic auth must carry the account SID and token it was made with.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "synthetic-twilio-token"
FROM_NUMBER = "+15555550100"


@dataclass
class FakeTwilio:
    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    messages: list[dict[str, Any]] = field(default_factory=list)
    invalid_numbers: set[str] = field(default_factory=set)
    scripted: list[int] = field(default_factory=list)
    create_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def fail_next(self, status: int, times: int = 1) -> None:
        self.scripted.extend([status] * times)

    def bodies_to(self, number: str) -> list[str]:
        return [m["body"] for m in self.messages if m["to"] == number]


def start(fake: FakeTwilio) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _authorized(self) -> bool:
            expected = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
            return self.headers.get("Authorization") == f"Basic {expected}"

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _path_ok(self, path: str) -> bool:
            return path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"

        def do_POST(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            if not self._path_ok(parts.path):
                return self._answer(404, {"code": 20404, "message": "not found", "status": 404})
            if not self._authorized():
                return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            with fake.lock:
                fake.create_requests += 1
                if fake.scripted:
                    status = fake.scripted.pop(0)
                    return self._answer(status, {"code": 20500, "message": "Internal Server Error",
                                                 "status": status})
                if form.get("To") in fake.invalid_numbers:
                    return self._answer(400, {
                        "code": 21211, "status": 400,
                        "message": f"The 'To' number {form.get('To')} is not a valid phone number.",
                        "more_info": "https://www.twilio.com/docs/errors/21211"})
                sid = f"SM{len(fake.messages) + 1:032x}"
                message = {"sid": sid, "account_sid": fake.account_sid, "to": form.get("To"),
                           "from": form.get("From"), "body": form.get("Body"), "status": "queued",
                           "status_callback": form.get("StatusCallback"), "num_segments": "1",
                           "direction": "outbound-api", "api_version": "2010-04-01",
                           "date_created": "Tue, 01 Dec 2026 12:00:00 +0000",
                           "date_updated": "Tue, 01 Dec 2026 12:00:00 +0000", "date_sent": None,
                           "error_code": None, "error_message": None, "price": None,
                           "uri": f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{sid}.json"}
                fake.messages.append(message)
            self._answer(201, message)

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            if not self._path_ok(parts.path):
                return self._answer(404, {"code": 20404, "message": "not found", "status": 404})
            if not self._authorized():
                return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            with fake.lock:
                found = [m for m in reversed(fake.messages)
                         if m["to"] == query.get("To", m["to"])
                         and m["from"] == query.get("From", m["from"])]
            self._answer(200, {"messages": found, "next_page_uri": None, "page": 0,
                               "page_size": 50, "uri": parts.path, "first_page_uri": parts.path,
                               "previous_page_uri": None, "start": 0, "end": len(found)})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    return server
