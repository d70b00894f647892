"""Zalo ZNS: templated messages to a phone number through the agency's Official Account.

The channel is an apprise plugin of ours under its own scheme (apprise's `zalo://` is the Bot
API, which talks to a chat id, not a phone):

    zns://APP_ID:SECRET_KEY@OA_ID/?refresh_token=…&access_token=…&rate=10&threads=2
          [&api=https://business.openapi.zalo.me][&oauth=https://oauth.zaloapp.com]

Success is HTTP 200 *and* `"error": 0`. The access token lasts ~25 h and is renewed with a
single-use refresh token, so a refresh is serialised across threads, processes and machines
through the project's database (TokenStore: a row lock on models.ChannelToken, then
"if the stored token is still the stale one, refresh and store the new pair"). A worker that
lost the race finds the fresh token stored and reuses it instead of spending the (now invalid)
refresh token. The tokens in the URL only seed the row the first time; afterwards the row holds
the live pair. An expired-token answer (-216) refreshes and retries once.
"""

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import sqlalchemy as sa
from apprise.common import NotifyType
from apprise.plugins.base import NotifyBase
from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models import ChannelToken
from models.base import table_of

_T = table_of(ChannelToken)

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


class TokenError(Exception):
    pass


class TokenStore:
    """The live access + refresh token pair, in the project's database (models.ChannelToken),
    shared by every thread, process and machine.

    A refresh first takes the row's write lock (an UPDATE that changes nothing: a row lock on
    PostgreSQL, the write lock on SQLite), then re-reads the row: if another worker has already
    replaced the stale token, it returns the fresh one without spending the refresh token;
    otherwise it calls Zalo, stores the new pair (compare-and-set on `version`) and commits."""

    def __init__(self, cfg: ZnsConfig, engine: Engine | None = None) -> None:
        self.cfg = cfg
        self.name = f"zns:{cfg.app_id}"
        self._engine = engine

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from models.db import get_engine

            self._engine = get_engine()
        return self._engine

    def _row(self, conn) -> Any:
        return conn.execute(sa.select(_T).where(_T.c.name == self.name)).first()

    def _seed(self) -> None:
        """First use: the tokens in the URL become the stored pair (later, the store wins:
        the URL's refresh token is spent by then)."""
        with self.engine.begin() as conn:
            ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(_T)
            conn.execute(
                ins.values(
                    name=self.name,
                    access_token=self.cfg.access_token,
                    refresh_token=self.cfg.refresh_token,
                    expires_at=None,
                    version=0,
                ).on_conflict_do_nothing(index_elements=["name"])
            )

    def current(self) -> str:
        with self.engine.connect() as conn:
            row = self._row(conn)
        if row is None:
            self._seed()
            with self.engine.connect() as conn:
                row = self._row(conn)
        expires = row.expires_at
        if expires is not None and expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)  # SQLite keeps no offset; we store UTC
        if not row.access_token or (
            expires is not None and expires < datetime.now(UTC) + timedelta(minutes=5)
        ):
            return self.refresh(row.access_token)
        return row.access_token

    def refresh(self, stale: str) -> str:
        """A fresh access token. Only the first caller holding `stale` spends the refresh
        token; the others find the new pair stored and return it."""
        with self.engine.begin() as conn:
            conn.execute(  # take the lock before reading
                sa.update(_T).where(_T.c.name == self.name).values(version=_T.c.version)
            )
            row = self._row(conn)
            if row is None:
                raise TokenError("chưa có mã truy cập Zalo nào được lưu")
            if row.access_token and row.access_token != stale:
                return row.access_token
            answer = self._call_oauth(row.refresh_token or self.cfg.refresh_token)
            done = conn.execute(
                sa.update(_T)
                .where(_T.c.name == self.name, _T.c.version == row.version)
                .values(
                    access_token=answer["access_token"],
                    refresh_token=answer.get("refresh_token") or row.refresh_token,
                    expires_at=datetime.now(UTC)
                    + timedelta(seconds=float(answer.get("expires_in") or 90000)),
                    version=row.version + 1,
                    updated_at=datetime.now(UTC),
                )
            )
            if done.rowcount != 1:  # cannot happen under the lock; refuse rather than guess
                raise TokenError("mã truy cập Zalo vừa bị thay đổi đồng thời")
            return answer["access_token"]

    def _call_oauth(self, refresh: str) -> dict[str, Any]:
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
        return answer


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

    # apprise's base classes leave these unannotated with None / () defaults, so a type
    # checker takes None for their type: the ignores below say nothing about our values.
    service_name = "Zalo ZNS"  # type: ignore[assignment]
    service_url = "https://zalo.cloud/zns"  # type: ignore[assignment]
    secure_protocol = "zns"  # type: ignore[assignment]
    setup_url = "https://developers.zalo.me/docs/zalo-notification-service"  # type: ignore[assignment]
    request_rate_per_sec = 0  # our RateLimiter paces requests
    title_maxlen = 0
    templates = ("{schema}://{app_id}:{secret_key}@{oa_id}/{targets}",)  # type: ignore[assignment]

    def __init__(self, targets=None, raw_url: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.raw_url = raw_url
        self.targets = [t for t in (targets or []) if t]

    def url(self, privacy=False, *args, **kwargs) -> str:
        return self.raw_url

    def __len__(self) -> int:
        return max(1, len(self.targets))

    def send(self, body, title="", notify_type=NotifyType.INFO, **kwargs) -> bool:
        cfg = config_from_url(self.raw_url)
        try:
            spec = json.loads(body)
        except ValueError:
            self.logger.warning("ZNS body must be JSON with template_id and template_data")
            return False
        client = ZnsClient(cfg, TokenStore(cfg), RateLimiter(0))
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
    def parse_url(url: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        results = NotifyBase.parse_url(url, verify_host=False)
        if not results:
            return results
        results["targets"] = NotifyBase.split_path(results.get("fullpath"))
        results["raw_url"] = url
        return results
