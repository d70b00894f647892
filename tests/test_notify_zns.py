"""The ZNS channel against a local server speaking Zalo's shape: success rule, -216 and the
single-use refresh token (threads and processes racing), permanent and temporary errors."""

import multiprocessing
import threading
from datetime import UTC, datetime, timedelta

import apprise
import pytest
from sqlmodel import Session

from models import ChannelToken, Person
from models.db import engine_for
from tests.test_notify_support import make_org
from tests.zns_server import FakeZns
from thidua.notify import OutgoingMessage, deliver, retry_due
from thidua.notify.zns import RateLimiter, TokenStore, ZnsClient, config_from_url
from thidua.settings import reset_settings

NOON = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch):
    with FakeZns(refresh_delay=0.05) as z:
        monkeypatch.setenv("THIDUA_ZALO_URL", z.url())
        monkeypatch.delenv("THIDUA_EMAIL_URL", raising=False)  # email to the outbox
        reset_settings()
        yield z


def returned(org, event="tra-lai-1", reason="Thiếu báo cáo thành tích có xác nhận của Thủ trưởng"):
    return [
        OutgoingMessage(
            event,
            "dossier_returned",
            p.id,
            {
                "nominee_name": "Trần Văn Bình",
                "award_title": "Chiến sĩ thi đua cơ sở",
                "reason": reason,
                "resubmit_by": datetime(2026, 3, 20).date(),
            },
        )
        for p in org.people
    ]


def zalo_counts(report):
    return report.by_channel.get("zalo", {})


def test_zns_sends_templated_messages_with_fresh_token(db_url, fake):
    org = make_org(db_url, n_units=2, per_unit=2, zalo=True)
    report = deliver(org.movement.id, returned(org), now=NOON)
    assert zalo_counts(report)["sent"] == 4 and report.sent == 8  # and 4 emails to the outbox
    assert fake.refreshes == 1  # no access token yet: the seed refresh token was spent once
    phones = sorted(m["phone"] for m in fake.messages)
    assert phones == sorted("84" + p.zalo_phone[1:] for p in org.people)
    data = fake.messages[0]["template_data"]
    assert data["ho_so"] == "Trần Văn Bình" and data["han"] == "20/3/2026"
    assert data["ly_do"] == "Thiếu báo cáo thành tích có xác nhận của Thủ trưởng"
    assert fake.messages[0]["template_id"] == "THAY_MA_MAU_ZNS_TRA_HO_SO"
    assert all(m["tracking_id"].startswith("thidua-") for m in fake.messages)
    with Session(engine_for(db_url)) as s:
        row = s.get(ChannelToken, "zns:app1")
    assert row.refresh_token == fake.refresh_token and row.version == 1  # the live pair, stored


def test_long_params_are_cut_at_a_word_with_an_ellipsis(db_url, fake):
    org = make_org(db_url, n_units=1, per_unit=1, zalo=True)
    long_reason = "Thiếu " + "bản sao quyết định công nhận sáng kiến cấp cơ sở " * 5
    deliver(org.movement.id, returned(org, reason=long_reason), now=NOON)
    (m,) = fake.messages
    r = m["template_data"]["ly_do"]
    assert len(r) <= 100 and r.endswith("…") and long_reason.startswith(r[:-1].rstrip())
    assert long_reason[len(r[:-1].rstrip())] == " "  # cut where a word ends


def test_expired_token_refreshes_once_and_retries(db_url, fake):
    org = make_org(db_url, n_units=2, per_unit=3, zalo=True)
    deliver(org.movement.id, returned(org, "e1"), now=NOON)
    fake.expire_tokens()  # ~25 h later: every token answers -216
    report = deliver(org.movement.id, returned(org, "e2"), now=NOON)
    assert zalo_counts(report) == {"sent": 6}
    assert fake.refreshes == 2 and fake.rejected_refreshes == 0
    assert len(fake.messages) == 12


def test_two_threads_racing_on_an_expired_token_spend_the_refresh_token_once(db_url, fake):
    fake.refresh_delay = 0.3  # both threads meet -216 while the first refresh is in flight
    org = make_org(db_url, n_units=4, per_unit=3, zalo=True)
    deliver(org.movement.id, returned(org, "e1")[:1], now=NOON)
    fake.expire_tokens()
    reports = []
    msgs = returned(org, "e2")
    threads = [
        threading.Thread(
            target=lambda part=part: reports.append(deliver(org.movement.id, part, now=NOON))
        )
        for part in (msgs[::2], msgs[1::2])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(zalo_counts(r).get("sent", 0) for r in reports) == 12
    assert fake.refreshes == 2 and fake.rejected_refreshes == 0


def _refresh_in_process(url: str, db: str, stale: str, barrier, out) -> None:
    engine_for(db).dispose(close=False)  # the parent's connections are not ours
    store = TokenStore(config_from_url(url), engine_for(db))
    barrier.wait()
    out.put(store.refresh(stale))


def test_two_processes_racing_share_one_refresh(db_url, fake):
    fake.refresh_delay = 0.3
    cfg = config_from_url(fake.url())
    store = TokenStore(cfg, engine_for(db_url))
    first = store.current()  # seeds and refreshes once
    fake.expire_tokens()
    ctx = multiprocessing.get_context("fork")  # separate processes: only the database's lock
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_refresh_in_process, args=(fake.url(), db_url, first, barrier, out))
        for _ in range(2)
    ]
    for p in procs:
        p.start()
    got = [out.get(timeout=30), out.get(timeout=30)]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    assert got[0] == got[1] != first
    assert fake.refreshes == 2 and fake.rejected_refreshes == 0
    assert store.current() == got[0]  # the pair is in the database for every worker
    client = ZnsClient(cfg, store, RateLimiter(0))
    assert client.send("84912000001", "T1", {"a": "b"}, "t").ok  # the stored token works


def test_bad_phone_is_permanent_and_the_others_still_go(db_url, fake):
    org = make_org(db_url, n_units=2, per_unit=2, zalo=True)
    with Session(engine_for(db_url)) as s:
        p = s.get(Person, org.people[0].id)
        p.zalo_phone = "12345"  # malformed in the organisation data
        s.add(p)
        s.commit()
    fake.bad_phones.add("84" + org.people[1].zalo_phone[1:])  # Zalo says -108
    report = deliver(org.movement.id, returned(org), now=NOON)
    assert zalo_counts(report) == {"sent": 2, "failed": 2}
    reasons = sorted(f.reason for f in report.permanent_failures)
    assert reasons[0].startswith("số điện thoại Zalo không hợp lệ: '12345'")
    assert reasons[1].startswith("số điện thoại không hợp lệ (zns: HTTP 200, error=-108")


def test_server_errors_are_retried_later(db_url, fake):
    org = make_org(db_url, n_units=1, per_unit=3, zalo=True)
    deliver(org.movement.id, returned(org, "e0")[:1], now=NOON)  # token in hand
    fake.fail_next(3)
    report = deliver(org.movement.id, returned(org), now=NOON)
    assert zalo_counts(report) == {"retry": 3}
    later = retry_due(org.movement.id, now=NOON + timedelta(minutes=5))
    assert zalo_counts(later) == {"sent": 3}
    assert len(fake.messages) == 4


def test_the_plugin_is_an_apprise_url(sqlite_url, fake):
    import thidua.notify.channels  # noqa: F401  registers zns:// and outbox://

    a = apprise.Apprise()
    assert a.add(fake.url().replace("@oa1/?", "@oa1/84912345678/?"))
    ok = a.notify(body='{"template_id": "T9", "template_data": {"ten": "Lê Thị Hoà"}}')
    assert ok and fake.messages[-1]["template_data"] == {"ten": "Lê Thị Hoà"}
    assert fake.messages[-1]["phone"] == "84912345678"
