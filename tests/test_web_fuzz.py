"""Every route of the portal, from the app's own route table, with malformed path values and
form fields drawn by hypothesis (ids past the database's range, "²" and other non-ASCII
digits, control characters, huge and empty values): no answer is ever a 500, and every
refusal is a Vietnamese page. Each route is tried as a role allowed to reach its handler.
A sweep of known-bad numbers through every path value and form (~900 requests), then
FUZZ_EXAMPLES random cases, per database (SQLite and PostgreSQL): ~1,500 each, ~3,000 in all."""

import os
import re
from pathlib import Path
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from models import Criterion, Movement, Target
from models.db import engine_for
from tests.test_web_matrix import POLICY, fill, route_table, world  # noqa: F401 (fixture)
from tests.web_helpers import csrf_of, login
from thidua.rules.engine import rule_set_for
from thidua.settings import PROJECT_ROOT
from thidua.web.app import create_app

FUZZ_EXAMPLES = int(os.environ.get("THIDUA_FUZZ_EXAMPLES", "300"))
# Routes whose success would end the fuzzing clients' own sessions (tested in
# test_web_sessions.py); every other route is fuzzed.
SKIP = {("POST", "/logout"), ("POST", "/admin/sessions/end")}
# The role used to reach each route's handler, by preference.
PREFERENCE = ["focal", "admin", "member", "agency_head", "unit_head", "staff", "anon"]

NASTY_NUMBERS = [
    "9223372036854775808", "2147483648", "2147483647", "-1", "0", "²", "٣", "１２", "1e9",
    "1.5", "１", "0x10", " 7 ", "99999999999999999999999999999999", "", "-0", "NaN", "∞",
]  # fmt: skip
text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(["\x00", "\u202e", "a" * 5000, "../../etc/passwd", "<script>", "%00"])
value = st.sampled_from(NASTY_NUMBERS) | text | st.integers(-(2**80), 2**80).map(str)


def _form_fields(url: str) -> list[str]:
    """Every field name a page's forms use, the movement's own (targets, criteria, facts)
    included."""
    names = set()
    for page in (PROJECT_ROOT / "templates" / "web").rglob("*.html"):
        names |= set(re.findall(r'name="([a-z_]+)"', Path(page).read_text()))
    with Session(engine_for(url)) as s:
        m = s.exec(select(Movement)).one()
        names |= {f"v:{c}" for c in s.exec(select(Target.code).where(Target.movement_id == m.id))}
        names |= {f"p:{c}" for c in s.exec(select(Criterion.code))}
        for f in rule_set_for(m).facts.values():
            names.add(f"f:{f.key}")
            names |= {f"f:{f.key}:{level}" for level in (f.values or {})}
    return sorted(names - {"csrf_token", "viewport"})


def test_no_route_answers_500_to_malformed_values(world, db_url):  # noqa: F811
    app = create_app()
    routes = [r for r in route_table(app) if r not in SKIP]
    fields = _form_fields(db_url)
    users = {"staff": world.staff, "focal": world.focal, "unit_head": world.unit_head,
             "member": world.council[1], "agency_head": world.council[0],
             "admin": world.admin}  # fmt: skip
    clients: dict[str, TestClient] = {}
    with TestClient(app, raise_server_exceptions=False) as anon:
        clients["anon"] = anon
        for role, username in users.items():
            c = TestClient(app, raise_server_exceptions=False)
            assert login(c, username).status_code == 200, role
            clients[role] = c
        tokens = {role: csrf_of(c.get("/login").text) for role, c in clients.items()}
        crashes: list[tuple] = []

        def request(method: str, path: str, params: dict, form: dict, files=None, query=None):
            role = next(r for r in PREFERENCE if r in POLICY[(method, path)])
            url = fill(path, {**world.ids, **{k: quote(v, safe="") for k, v in params.items()}})
            client = clients[role]
            if method == "GET":
                r = client.get(url, params=query or {}, follow_redirects=False)
            else:
                form = {**form, "csrf_token": tokens[role]}
                r = client.post(url, data=form, files=files, follow_redirects=False)
            if r.status_code >= 500 and r.status_code != 503:
                shown = {k: v[:30] for k, v in form.items() if isinstance(v, str)}
                crashes.append((method, url[:80], str(shown)[:200], r.status_code))
            if r.status_code >= 400 and "text/html" in r.headers.get("content-type", ""):
                assert 'lang="vi"' in r.text and "Traceback" not in r.text, (method, url)

        # First a sweep: each path value and each form (every field at once) with each of the
        # known-bad numbers, so the classes of bug found before are always tried...
        for method, path in routes:
            for name in re.findall(r"\{(\w+)\}", path):
                for bad in NASTY_NUMBERS:
                    request(method, path, {name: bad}, {})
            if method == "POST":
                for bad in NASTY_NUMBERS:
                    request(method, path, {}, dict.fromkeys(fields, bad))

        # ...then random values and mixtures drawn by hypothesis.
        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(st.data())
        def probe(data) -> None:
            method, path = data.draw(st.sampled_from(routes), label="route")
            params = {
                name: data.draw(st.sampled_from([str(world.ids.get(name, ""))]) | value, label=name)
                for name in re.findall(r"\{(\w+)\}", path)
            }  # fmt: skip
            if method == "GET":
                query = data.draw(st.dictionaries(st.sampled_from(["pdf", "page", "q"]), value,
                                                  max_size=2), label="query")  # fmt: skip
                request(method, path, params, {}, query=query)
                return
            form = data.draw(st.dictionaries(st.sampled_from(fields), value, max_size=8), "form")
            files = None
            if data.draw(st.booleans(), label="with a file"):
                blob = data.draw(st.binary(max_size=300), label="file")
                files = {"evidence": (data.draw(text, label="name"), blob, "application/pdf")}
            request(method, path, params, form, files=files)

        probe()
        for c in clients.values():
            c.close()
    assert not crashes, "\n".join(map(str, crashes[:20]))


def test_out_of_range_ids_are_a_vietnamese_400(world):  # noqa: F811
    paths = {"/dossier/9223372036854775808": "Số hồ sơ", "/dossier/²": "Số hồ sơ",
             "/evidence/2147483648": "Số tệp minh chứng", "/evidence/-1": "Số tệp minh chứng",
             "/admin/document/99999999999999999999": "Số văn bản",
             "/block/hanam-sct-2022/unit/١": "Đơn vị"}  # fmt: skip
    with TestClient(create_app()) as admin, TestClient(create_app()) as focal:
        assert login(admin, world.admin).status_code == 200
        assert login(focal, world.focal).status_code == 200
        for path, label in paths.items():
            r = (admin if "admin" in path else focal).get(path)
            assert r.status_code == 400 and "Dữ liệu gửi lên không hợp lệ" in r.text, path
            assert label in r.text, path
