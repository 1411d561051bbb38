"""RLA 0.6's send_error mails a real SMTP server the test starts (aiosmtpd on loopback), logging in
when a password is given; the password reaches the server and no file."""
from __future__ import annotations

import socket
from email import message_from_bytes
from pathlib import Path
from typing import Any, List

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from RLA.email_send import send_error
from RLA.errors import UsageError

PASSWORD = "pw-mail-never-on-disk"


class _Inbox:
    def __init__(self) -> None:
        self.mails: List[Any] = []
        self.logins: List[tuple] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(envelope)
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.logins.append((data.login.decode(), data.password.decode()))
            return AuthResult(success=data.password.decode() == PASSWORD)
        return AuthResult(success=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
                            auth_require_tls=False)
    try:
        controller.start()
    except Exception as exc:  # the test fails and says why; it is never skipped
        pytest.fail(f"could not start an SMTP server on 127.0.0.1:{port}: {exc}")
    yield inbox, f"127.0.0.1:{port}"
    controller.stop()


def test_send_error_mails_the_lines_with_the_machines_address(smtp_server, tmp_path: Path, monkeypatch):
    inbox, server = smtp_server
    monkeypatch.chdir(tmp_path)
    send_error("run failed", ["Traceback (most recent call last):", "ValueError: boom"],
               {"from": "lab@example.org", "smtpserver": server},
               {"targer_email": "me@example.org", "source_email": "lab@example.org", "source_passward": PASSWORD})
    (mail,) = inbox.mails
    assert mail.mail_from == "lab@example.org" and mail.rcpt_tos == ["me@example.org"]
    parsed = message_from_bytes(mail.content)
    assert parsed["Subject"].startswith("ip ") and parsed["Subject"].endswith(", title run failed")
    assert "ValueError: boom" in parsed.get_payload()
    assert inbox.logins == [("lab@example.org", PASSWORD)]
    assert not any(PASSWORD.encode() in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_send_error_without_a_password_does_not_log_in(smtp_server):
    inbox, server = smtp_server
    send_error("t", ["x"], {"from": "a@example.org", "smtpserver": server}, {"targer_email": "b@example.org"})
    assert len(inbox.mails) == 1 and inbox.logins == []


def test_send_error_names_a_missing_field():
    with pytest.raises(UsageError, match="targer_email"):
        send_error("t", ["x"], {"from": "a@example.org", "smtpserver": "127.0.0.1:1"}, {})
