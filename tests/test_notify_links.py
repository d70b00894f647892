"""A notice carries an issued document attached while it is small, else a link to it in the
portal (THIDUA_ATTACH_MAX_KB, THIDUA_PORTAL_URL): through a real SMTP server, then the link
followed by the people who may and may not read the document."""

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.test_notify_support import smtp  # noqa: F401
from tests.web_helpers import login, make_world, quiet
from thidua import stagework
from thidua.lifecycle import State
from thidua.notify import deliver
from thidua.settings import get_settings, reset_settings
from thidua.web.app import create_app

PORTAL = "https://thiduakhenthuong.sct.hanam.gov.vn"
NOON = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # 12:00 in Hà Nội: outside quiet hours


@pytest.fixture
def world(db_url, monkeypatch):
    quiet(monkeypatch)
    monkeypatch.setenv("THIDUA_PORTAL_URL", PORTAL + "/")
    reset_settings()
    return make_world(db_url, state=State.PERIOD1_OPEN)


def _movement_id(code: str) -> int:
    from models.db import session_scope
    from thidua.movements import find_movement

    with session_scope() as s:
        return find_movement(s, code).id


def _decision(code: str, path: str) -> tuple[int, int]:
    from models import Decision, IssuedDocument
    from models.db import session_scope
    from thidua.movements import find_movement

    with session_scope() as s:
        m = find_movement(s, code)
        doc = IssuedDocument(movement_id=m.id, kind="decision", agency="SCT", series="QĐ",
                             year=2022, number=9, title="Quyết định", content_hash="x",
                             path=path)  # fmt: skip
        s.add(doc)
        s.flush()
        d = Decision(movement_id=m.id, kind="decision", authority="Giám đốc", document_id=doc.id)
        s.add(d)
        s.flush()
        return doc.id, d.id


def _approve(decision_id: int) -> None:
    from models import Decision
    from models.base import utcnow
    from models.db import session_scope

    with session_scope() as s:
        d = s.get_one(Decision, decision_id)
        d.approved_at, d.approved_by = utcnow(), "giam-doc"
        s.add(d)


def test_a_notice_over_the_limit_links_the_document_and_the_portal_serves_it_to_its_readers(
    world,
    smtp,  # noqa: F811
    monkeypatch,
):
    directive = stagework.launch_directive(world.code)
    size = directive.file.stat().st_size
    # Under the limit (the default, 150 KB): attached, and the text says so.
    msgs = stagework.launch_messages(world.code, directive)
    assert msgs and all(m.attachments == [directive.file] for m in msgs)
    assert all(m.context["attached"] for m in msgs)

    # Over the limit: the same notice carries a link and no attachment.
    monkeypatch.setenv("THIDUA_ATTACH_MAX_KB", str(size // 1024 - 1))
    reset_settings()
    msgs = stagework.launch_messages(world.code, directive)
    report = deliver(_movement_id(world.code), msgs, now=NOON)
    assert report.by_channel["email"]["sent"] == len(msgs) == len(smtp.received) > 0
    url = f"{PORTAL}/document/{directive.id}"
    for got in smtp.messages():
        assert list(got.iter_attachments()) == []
        body = got.get_body(("plain",)).get_content()
        assert "đính kèm" not in body
        assert f"để tải văn bản tại:\n{url}\n" in body.replace("\r\n", "\n")
        assert re.search(r"Đề nghị đồng chí nghiên cứu văn bản, phổ biến", body)
        assert len(got.as_bytes()) < 4096  # the message no longer weighs what the document does

    # The link, followed: the unit's head (and any participating unit's focal point, each a
    # recipient) downloads it, as a download; who has no unit role in the movement does not.
    path = urlsplit(url).path
    summary = stagework.registration_summary(world.code)  # the office's own, not sent to units
    expected = {world.unit_head: 200, world.other_focal: 200, world.admin: 200, world.staff: 403}
    seen, unpublished = {}, {}
    with TestClient(create_app()) as c:
        # Followed before logging in: the login page, then the document itself.
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        r = login(c, world.unit_head)
        assert r.status_code == 200 and r.content == directive.file.read_bytes()
        for username in expected:
            c.cookies.clear()
            assert login(c, username).status_code == 200
            r = c.get(path)
            seen[username] = r.status_code
            if r.status_code == 200:
                assert r.content == directive.file.read_bytes()
                assert r.headers["content-disposition"].startswith("attachment;")
                assert r.headers["x-content-type-options"] == "nosniff"
            unpublished[username] = c.get(f"/document/{summary.id}").status_code
        assert c.get("/document/999999").status_code == 404
        # A decision: not for the units while a draft before the head, theirs once approved.
        c.cookies.clear()
        assert login(c, world.unit_head).status_code == 200
        decision_doc, decision_id = _decision(world.code, directive.path)
        assert c.get(f"/document/{decision_doc}").status_code == 403
        _approve(decision_id)
        assert c.get(f"/document/{decision_doc}").status_code == 200
    assert seen == expected
    assert unpublished == {world.unit_head: 403, world.other_focal: 403, world.admin: 200,
                           world.staff: 403}  # fmt: skip
    assert get_settings().attach_max_kb == size // 1024 - 1
