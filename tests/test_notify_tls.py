"""mailtos:// with STARTTLS and a login, against aiosmtpd requiring both (self-signed
certificate, so the URL says verify=no)."""

import datetime as dt
import ssl
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.test_notify_support import SmtpSink, make_org
from thidua.notify import OutgoingMessage, deliver
from thidua.settings import reset_settings


def _self_signed(tmp: Path) -> ssl.SSLContext:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tmp / "c.pem", tmp / "k.pem")
    return ctx


class Login:
    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"vanphong" and auth_data.password == b"m@t-khau!"
        if ok:
            self.logins.append(mechanism)
        return AuthResult(success=ok)


@pytest.mark.parametrize("password, sent", [("m%40t-khau%21", 3), ("sai", 0)])
def test_starttls_and_login(sqlite_url, tmp_path, monkeypatch, password, sent):
    sink, login = SmtpSink(), Login()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=sink.port,
        tls_context=_self_signed(tmp_path),
        require_starttls=True,
        auth_require_tls=True,
        authenticator=login,
    )
    controller.start()
    try:
        monkeypatch.setenv(
            "THIDUA_EMAIL_URL",
            f"mailtos://vanphong:{password}@127.0.0.1:{sink.port}"
            "?from=van-phong@sct.hanam.gov.vn&mode=starttls&verify=no&timeout=3",
        )
        reset_settings()
        org = make_org(sqlite_url, n_units=1, per_unit=3)
        msgs = [
            OutgoingMessage(
                "tb",
                "council_vote",
                p.id,
                {"phase": "invitation", "vote_deadline": "17:00 20/11", "nominee_count": 4},
            )
            for p in org.people
        ]
        report = deliver(org.movement.id, msgs, now=dt.datetime(2026, 3, 10, 5, tzinfo=dt.UTC))
        assert report.sent == sent
        assert len(sink.received) == sent
        if sent:
            assert 1 <= len(login.logins) <= 2  # one login per connection, not per message
        else:
            # aiosmtpd stalls a failed login (we give up after the URL's timeout=3); either way
            # a refused login is ours to fix: the messages are kept and retried
            assert report.failed_temporary == 3
    finally:
        controller.stop()
