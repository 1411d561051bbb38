"""RLA 0.6's ``send_error``: a mail (over SMTP) saying that a run went wrong, with this machine's address.

``send_error(subject, lines, source_info, target_info)`` takes 0.6's dictionaries, spelled as 0.6
spelled them: ``source_info = {"from": ..., "smtpserver": "host[:port]"}`` and ``target_info =
{"targer_email": ..., "source_email": ..., "source_passward": ...}``. The connection is upgraded
with STARTTLS when the server offers it; the password is used for the login only, never written.
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any, Mapping, Sequence

from RLA.easy_log.net import local_ip
from RLA.errors import UsageError

__all__ = ["send_error", "TIMEOUT"]

#: seconds to wait for the SMTP server before giving up
TIMEOUT = 10.0


def send_error(sub: str, info: Sequence[str], source_info: Mapping[str, Any], target_info: Mapping[str, Any]) -> None:
    """Mail ``info`` (lines of text) with the subject ``ip <this machine>, title <sub>``."""
    try:
        server, sender, recipient = source_info["smtpserver"], source_info["from"], target_info["targer_email"]
    except KeyError as missing:
        raise UsageError(f"send_error needs source_info['smtpserver'], source_info['from'] and "
                         f"target_info['targer_email'] (0.6's spelling); {missing} is missing") from None
    message = EmailMessage()
    message["From"], message["To"] = sender, recipient
    message["Subject"] = f"ip {local_ip()}, title {sub}"
    message.set_content("\n".join(info))
    host, _, port = str(server).partition(":")
    with smtplib.SMTP(host, int(port) if port else 0, timeout=TIMEOUT) as smtp:
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls()
            smtp.ehlo()
        if target_info.get("source_passward"):
            smtp.login(target_info.get("source_email", sender), target_info["source_passward"])
        smtp.send_message(message, from_addr=target_info.get("source_email", sender), to_addrs=[recipient])
