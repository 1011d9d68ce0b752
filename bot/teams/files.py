"""Files sent to Pulse in Teams: a `.yaml` tenant document attached in a personal chat.

Teams gives a file sent in personal chat as an attachment of type
`application/vnd.microsoft.teams.file.download.info` with a pre-authenticated `downloadUrl`.
It is fetched only over HTTPS from an allowed host (`*.sharepoint.com` by default: SharePoint and
OneDrive for Business), without following redirects, within a size limit and a timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
from botbuilder.schema import Activity

FILE_DOWNLOAD_TYPE: Final = "application/vnd.microsoft.teams.file.download.info"


class FileRefused(Exception):
    """A file we will not read; `reason` is a catalogue key (host, type, size, http...)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class FileFetcher:
    """Fetches a Teams file download URL, only from allowed hosts, bounded."""

    allowed_hosts: tuple[str, ...] = ("*.sharepoint.com",)
    max_bytes: int = 256 * 1024
    timeout_s: float = 10.0
    require_https: bool = True

    def host_allowed(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower().rstrip(".")
            _ = parts.port  # raises on a malformed port
        except ValueError:
            return False
        if parts.username or parts.password or not host:
            return False
        if parts.scheme != "https" and (self.require_https or parts.scheme != "http"):
            return False
        for pattern in self.allowed_hosts:
            pattern = pattern.lower()
            if pattern.startswith("*."):
                if host.endswith(pattern[1:]) and host != pattern[2:]:
                    return True
            elif host == pattern:
                return True
        return False

    async def fetch(self, url: str) -> bytes:
        if not self.host_allowed(url):
            raise FileRefused("host")
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url, allow_redirects=False) as resp,
            ):
                if resp.status != 200:
                    raise FileRefused("http")
                if resp.content_length is not None and resp.content_length > self.max_bytes:
                    raise FileRefused("size")
                data = bytearray()
                async for chunk in resp.content.iter_chunked(16 * 1024):
                    data.extend(chunk)
                    if len(data) > self.max_bytes:
                        raise FileRefused("size")
                return bytes(data)
        except (aiohttp.ClientError, TimeoutError):
            raise FileRefused("http") from None

    async def read_yaml_attachment(self, activity: Activity, attachment: Any) -> str:
        """The text of a `.yaml` file sent in a personal chat (Teams file download info)."""
        conversation = activity.conversation
        if getattr(conversation, "conversation_type", None) not in (None, "personal"):
            raise FileRefused("personal")
        content = attachment.content if isinstance(attachment.content, dict) else {}
        name = str(getattr(attachment, "name", "") or "").lower()
        file_type = str(content.get("fileType") or "").lower()
        if file_type not in ("yaml", "yml") and not name.endswith((".yaml", ".yml")):
            raise FileRefused("type")
        url = content.get("downloadUrl")
        if not isinstance(url, str):
            raise FileRefused("http")
        data = await self.fetch(url)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileRefused("encoding") from None


def file_attachments(activity: Activity) -> list[Any]:
    return [
        a
        for a in activity.attachments or []
        if getattr(a, "content_type", None) == FILE_DOWNLOAD_TYPE
    ]


__all__ = ["FILE_DOWNLOAD_TYPE", "FileFetcher", "FileRefused", "file_attachments"]
