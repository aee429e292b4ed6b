"""A real local SMTP server that receives e-mail, for tests of the apprise channels.

    async with SmtpReceiver() as smtp:
        url = f"mailto://127.0.0.1:{smtp.port}?from=tanfang@example.test&to=duty@example.test&mode=insecure"
        ...
        [mail] = await smtp.wait_for(1)
        mail.rcpt_tos, mail.subject, mail.text

aiosmtpd's SMTP protocol served on the test's own event loop on 127.0.0.1 (a free port):
plain SMTP, no TLS, no authentication; every message is accepted (250).
"""

from __future__ import annotations

import asyncio
import email
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from types import TracebackType
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True, slots=True)
class Mail:
    """One message as it arrived: the envelope's sender and recipients and the parsed
    message (``subject``, ``text``: its plain-text part)."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return "" if part is None else str(part.get_content())


@dataclass
class SmtpReceiver:
    port: int = 0
    mails: list[Mail] = field(default_factory=list, init=False)
    _server: asyncio.Server | None = field(default=None, init=False, repr=False)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition, init=False, repr=False)

    async def __aenter__(self) -> SmtpReceiver:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="127.0.0.1", loop=loop), "127.0.0.1", self.port
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        """aiosmtpd's hook: a whole message arrived."""
        content: Any = envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        message = email.message_from_bytes(raw, policy=default)
        assert isinstance(message, EmailMessage)
        mail = Mail(str(envelope.mail_from), list(envelope.rcpt_tos), message)
        async with self._arrived:
            self.mails.append(mail)
            self._arrived.notify_all()
        return "250 OK"

    # A bound of its own reads better at the call than an asyncio.timeout block.
    async def wait_for(self, n: int, timeout: float = 5.0) -> list[Mail]:  # noqa: ASYNC109
        """The mails received, once there are at least ``n``; TimeoutError after
        ``timeout`` seconds."""
        try:
            async with asyncio.timeout(timeout), self._arrived:
                await self._arrived.wait_for(lambda: len(self.mails) >= n)
        except TimeoutError:
            raise TimeoutError(f"{len(self.mails)} of {n} mails after {timeout} s") from None
        return list(self.mails)
