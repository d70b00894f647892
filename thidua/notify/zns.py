"""Zalo ZNS: templated messages to a phone number through the agency's Official Account.

The channel is an apprise plugin of ours under its own scheme (apprise's `zalo://` is the Bot
API, which talks to a chat id, not a phone):

    zns://APP_ID:SECRET_KEY@OA_ID/?refresh_token=…&access_token=…&rate=10&threads=2
          [&api=https://business.openapi.zalo.me][&oauth=https://oauth.zaloapp.com]

Success is HTTP 200 *and* `"error": 0`. The access token lasts ~25 h and is renewed with a
single-use refresh token, so a refresh is serialised across threads *and* processes: an
exclusive file lock (flock) in the data dir around "read the stored pair; if it is still the
stale one, refresh and write the new pair". A worker that lost the race finds a fresh token
stored and reuses it instead of spending the (now invalid) refresh token. The tokens in the URL
only seed the store the first time; afterwards the store holds the live pair. On several
machines, point THIDUA_DATA_DIR's `zns/` at shared storage (or keep ZNS on one worker pool).
"""

import contextlib
import fcntl
import json
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from apprise.common import NotifyType
from apprise.plugins.base import NotifyBase

API_URL = "https://business.openapi.zalo.me"
OAUTH_URL = "https://oauth.zaloapp.com"
EXPIRED_TOKEN = -216
# Zalo's answers that no retry will change: bad phone, no Zalo account / cannot receive ZNS,
# user refused, template or its data rejected. Everything else (unknown, quota, balance,
# network, 5xx) is temporary and retried with backoff.
PERMANENT_ERRORS = {
    -108: "số điện thoại không hợp lệ",
    -109: "mã mẫu ZNS không hợp lệ",
    -111: "dữ liệu mẫu ZNS rỗng",
    -112: "dữ liệu mẫu ZNS không hợp lệ",
    -118: "tài khoản Zalo không tồn tại hoặc đã bị khóa",
    -119: "tài khoản Zalo không nhận được tin ZNS",
    -131: "mẫu ZNS chưa được duyệt",
    -139: "người nhận đã từ chối nhận tin ZNS",
}


@dataclass(frozen=True)
class ZnsConfig:
    app_id: str
    secret_key: str
    oa_id: str
    api_url: str = API_URL
    oauth_url: str = OAUTH_URL
    access_token: str = ""
    refresh_token: str = ""
    rate: float = 10.0  # messages per second, per process
    threads: int = 2
    timeout: float = 15.0


@dataclass(frozen=True)
class ZnsAnswer:
    ok: bool
    permanent: bool
    text: str


_THREAD_LOCKS: dict[Path, threading.Lock] = {}
_GUARD = threading.Lock()


class TokenError(Exception):
    pass


class TokenStore:
    """The live access + refresh token pair, persisted in a JSON file under an flock."""

    def __init__(self, cfg: ZnsConfig, directory: Path) -> None:
        self.cfg = cfg
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"token-{cfg.app_id}.json"
        self.lock_path = directory / f"token-{cfg.app_id}.lock"
        with _GUARD:
            self._tlock = _THREAD_LOCKS.setdefault(self.path, threading.Lock())

    @contextlib.contextmanager
    def _locked(self):
        # flock serialises processes; the thread lock spares threads of one process the
        # syscall storm (flock alone would also work: each open() is its own lock owner).
        with self._tlock, open(self.lock_path, "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _write(self, data: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    def current(self) -> str:
        data = self._read()
        if not data:
            with self._locked():
                data = self._read()
                if not data:  # first use: seed from the URL
                    data = {
                        "access_token": self.cfg.access_token,
                        "refresh_token": self.cfg.refresh_token,
                        "expires_at": 0,
                    }
                    self._write(data)
        if not data.get("access_token") or (
            data.get("expires_at") and data["expires_at"] < time.time() + 300
        ):
            return self.refresh(data.get("access_token", ""))
        return data["access_token"]

    def refresh(self, stale: str) -> str:
        """A fresh access token. Only the first caller holding `stale` spends the refresh
        token; the others find the new pair stored and return it."""
        with self._locked():
            data = self._read()
            if data.get("access_token") and data["access_token"] != stale:
                return data["access_token"]
            refresh = data.get("refresh_token") or self.cfg.refresh_token
            try:
                r = requests.post(
                    self.cfg.oauth_url.rstrip("/") + "/v4/oa/access_token",
                    data={
                        "app_id": self.cfg.app_id,
                        "grant_type": "refresh_token",
                        "refresh_token": refresh,
                    },
                    headers={"secret_key": self.cfg.secret_key},
                    timeout=self.cfg.timeout,
                )
                answer = r.json() if r.content else {}
            except (requests.RequestException, ValueError) as e:
                raise TokenError(f"không làm mới được mã truy cập Zalo: {e}") from None
            if r.status_code != 200 or not answer.get("access_token"):
                raise TokenError(
                    f"Zalo từ chối làm mới mã truy cập (HTTP {r.status_code}, "
                    f"{answer.get('error')} {answer.get('error_name') or answer.get('message')})"
                )
            fresh = {
                "access_token": answer["access_token"],
                "refresh_token": answer.get("refresh_token") or refresh,
                "expires_at": time.time() + float(answer.get("expires_in") or 90000),
                "refreshed_at": datetime.now(UTC).isoformat(),
            }
            self._write(fresh)  # at once: the old refresh token is spent
            return fresh["access_token"]


class RateLimiter:
    """At most `rate` acquisitions a second across the threads of a process."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            wait = self.next_at - now
            self.next_at = max(now, self.next_at) + self.interval
        if wait > 0:
            time.sleep(wait)


class ZnsClient:
    """Sends one templated message; one requests.Session (keep-alive) per client/thread."""

    def __init__(self, cfg: ZnsConfig, store: TokenStore, limiter: RateLimiter) -> None:
        self.cfg, self.store, self.limiter = cfg, store, limiter
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def _post(self, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.limiter.acquire()
        r = self.http.post(
            self.cfg.api_url.rstrip("/") + "/message/template",
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={"access_token": token, "Content-Type": "application/json; charset=utf-8"},
            timeout=self.cfg.timeout,
        )
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, {"error": None, "message": r.text[:200]}

    def send(
        self, phone: str, template_id: str, params: dict[str, str], tracking_id: str
    ) -> ZnsAnswer:
        body = {
            "phone": phone,
            "template_id": template_id,
            "template_data": params,
            "tracking_id": tracking_id,
        }
        try:
            token = self.store.current()
            status, answer = self._post(token, body)
            if status == 200 and answer.get("error") == EXPIRED_TOKEN:
                token = self.store.refresh(token)  # one refresh, one retry
                status, answer = self._post(token, body)
        except TokenError as e:
            return ZnsAnswer(False, False, str(e))
        except requests.RequestException as e:
            return ZnsAnswer(False, False, f"lỗi kết nối Zalo: {e.__class__.__name__}")
        code = answer.get("error")
        if status == 200 and code == 0:
            msg_id = (answer.get("data") or {}).get("msg_id", "")
            return ZnsAnswer(True, False, f"zns: error=0 msg_id={msg_id}")
        text = f"zns: HTTP {status}, error={code} {answer.get('message', '')}".strip()
        if status == 200 and code in PERMANENT_ERRORS:
            return ZnsAnswer(False, True, f"{PERMANENT_ERRORS[code]} ({text})")
        return ZnsAnswer(False, False, text)


def config_from_url(url: str) -> ZnsConfig:
    """Read a zns:// URL with apprise's own parser (so quoting and secrets behave as in every
    other apprise URL)."""
    results = NotifyBase.parse_url(url, verify_host=False)
    if not results or not results.get("user") or not results.get("password"):
        raise ValueError("URL ZNS phải có dạng zns://APP_ID:SECRET_KEY@OA_ID/?refresh_token=…")
    q = results.get("qsd") or {}
    unq = NotifyBase.unquote
    return ZnsConfig(
        app_id=unq(results["user"]),
        secret_key=unq(results["password"]),
        oa_id=unq(results.get("host") or ""),
        api_url=q.get("api") or API_URL,
        oauth_url=q.get("oauth") or OAUTH_URL,
        access_token=q.get("access_token", ""),
        refresh_token=q.get("refresh_token", ""),
        rate=float(q.get("rate", 10)),
        threads=max(1, int(q.get("threads", 2))),
        timeout=float(q.get("timeout", 15)),
    )


class NotifyZNS(NotifyBase):
    """apprise's face of the channel: `apprise -b '{"template_id":…,"template_data":{…}}'
    zns://…/84912345678`. The project's bulk path uses ZnsClient directly for the answer."""

    service_name = "Zalo ZNS"
    service_url = "https://zalo.cloud/zns"
    secure_protocol = "zns"
    setup_url = "https://developers.zalo.me/docs/zalo-notification-service"
    request_rate_per_sec = 0  # our RateLimiter paces requests
    title_maxlen = 0
    templates = ("{schema}://{app_id}:{secret_key}@{oa_id}/{targets}",)

    def __init__(self, targets=None, raw_url: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.raw_url = raw_url
        self.targets = [t for t in (targets or []) if t]

    def url(self, privacy=False, *args, **kwargs) -> str:
        return self.raw_url

    def __len__(self) -> int:
        return max(1, len(self.targets))

    def send(self, body, title="", notify_type=NotifyType.INFO, **kwargs) -> bool:
        from thidua.settings import get_settings

        cfg = config_from_url(self.raw_url)
        try:
            spec = json.loads(body)
        except ValueError:
            self.logger.warning("ZNS body must be JSON with template_id and template_data")
            return False
        client = ZnsClient(cfg, TokenStore(cfg, get_settings().data_dir / "zns"), RateLimiter(0))
        try:
            ok = True
            for phone in self.targets:
                tracking = f"apprise-{int(time.time() * 1000)}"
                a = client.send(phone, spec["template_id"], spec["template_data"], tracking)
                ok = ok and a.ok
            return ok
        finally:
            client.close()

    @staticmethod
    def parse_url(url):
        results = NotifyBase.parse_url(url, verify_host=False)
        if not results:
            return results
        results["targets"] = NotifyBase.split_path(results.get("fullpath"))
        results["raw_url"] = url
        return results
