"""A fake Zalo ZNS + OAuth server on 127.0.0.1 that speaks the real shapes (DOMAIN.md,
"Notifications"), for tests anywhere in the project.

    with FakeZns(app_id="app", secret_key="sec", refresh_token="r0") as z:
        url = z.url()                      # zns://app:sec@oa/?api=…&oauth=…&refresh_token=r0
        ...
        z.messages                          # what was accepted, in order
        z.expire_tokens()                   # every access token answers -216 from now on

- POST /message/template, header access_token, JSON {phone, template_id, template_data,
  tracking_id}: 200 {"error": 0, "data": {"msg_id": …}} on success; 200 {"error": -216} for an
  unknown/expired token; 200 {"error": -108} for a phone in `bad_phones`; `fail_next(n)` makes
  the next n requests answer HTTP 503.
- POST /v4/oa/access_token, header secret_key, form app_id, grant_type=refresh_token,
  refresh_token: a new access + refresh pair; the refresh token is single-use (a reused one
  gets {"error": -14014}), and `refresh_delay` widens the race window.
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote


class FakeZns:
    def __init__(
        self,
        app_id: str = "app1",
        secret_key: str = "secret1",
        access_token: str = "",
        refresh_token: str = "refresh-0",
        refresh_delay: float = 0.0,
    ) -> None:
        self.app_id, self.secret_key = app_id, secret_key
        self.refresh_token = refresh_token
        self.valid_tokens: set[str] = {access_token} if access_token else set()
        self.used_refresh: set[str] = set()
        self.refresh_delay = refresh_delay
        self.bad_phones: set[str] = set()
        self.messages: list[dict] = []
        self.refreshes = 0
        self.rejected_refreshes = 0
        self.expired_answers = 0
        self._fail = 0
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # --- control -------------------------------------------------------------------------
    def expire_tokens(self) -> None:
        with self.lock:
            self.valid_tokens.clear()

    def fail_next(self, n: int) -> None:
        with self.lock:
            self._fail = n

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, **params: object) -> str:
        q = {
            "api": self.base,
            "oauth": self.base,
            "refresh_token": self.refresh_token,
            "rate": 0,
            "threads": 2,
            **params,
        }
        query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in q.items())
        return f"zns://{self.app_id}:{self.secret_key}@oa1/?{query}"

    # --- the server ----------------------------------------------------------------------
    def __enter__(self) -> "FakeZns":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/message/template":
                    self._reply(*fake._template(self.headers.get("access_token", ""), raw))
                elif self.path == "/v4/oa/access_token":
                    self._reply(*fake._oauth(self.headers.get("secret_key", ""), raw))
                else:
                    self._reply(404, {"error": -1, "message": "not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    def _template(self, token: str, raw: bytes) -> tuple[int, dict]:
        with self.lock:
            if self._fail:
                self._fail -= 1
                return 503, {"error": -1, "message": "Service unavailable"}
            if token not in self.valid_tokens:
                self.expired_answers += 1
                return 200, {"error": -216, "message": "Access token is invalid"}
            body = json.loads(raw.decode("utf-8"))
            if body.get("phone") in self.bad_phones:
                return 200, {"error": -108, "message": "Phone number is invalid"}
            if not body.get("template_id") or not isinstance(body.get("template_data"), dict):
                return 200, {"error": -112, "message": "Template data is invalid"}
            self.messages.append(body)
            return 200, {
                "error": 0,
                "message": "Success",
                "data": {"msg_id": uuid.uuid4().hex, "sent_time": str(int(time.time() * 1000))},
            }

    def _oauth(self, secret: str, raw: bytes) -> tuple[int, dict]:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if self.refresh_delay:
            time.sleep(self.refresh_delay)  # outside the lock: lets racing refreshes overlap
        with self.lock:
            if secret != self.secret_key or form.get("app_id") != self.app_id:
                return 200, {"error": -14001, "error_name": "Invalid app"}
            if form.get("grant_type") != "refresh_token":
                return 200, {"error": -14002, "error_name": "Invalid grant_type"}
            given = form.get("refresh_token", "")
            if given != self.refresh_token or given in self.used_refresh:
                self.rejected_refreshes += 1
                return 200, {"error": -14014, "error_name": "Invalid refresh token"}
            self.used_refresh.add(given)
            self.refreshes += 1
            access = f"access-{self.refreshes}-{uuid.uuid4().hex[:6]}"
            self.refresh_token = f"refresh-{self.refreshes}-{uuid.uuid4().hex[:6]}"
            self.valid_tokens = {access}  # the previous access token stops working
            return 200, {
                "access_token": access,
                "refresh_token": self.refresh_token,
                "expires_in": "90000",
            }
