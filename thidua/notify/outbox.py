"""The local outbox: one file per message under THIDUA_OUTBOX_DIR (.eml for email, .json for
ZNS). The embedded default when no email_url / zalo_url is set, so a demo or a test can read
what would have gone out. Files are written whole (temp file, then rename) and named after the
ledger row, so writing one twice leaves one file."""

import json
from pathlib import Path
from typing import Any

from apprise.common import NotifyType
from apprise.plugins.base import NotifyBase

from thidua.files import write_whole


def write_email(directory: Path, name: str, data: bytes, *, swept: bool = False) -> Path:
    """`swept`: the caller cleared the folder of killed writes once (files.sweep_folder); else
    this write looks for its own, a listing of the whole outbox per message."""
    path = directory / f"{name}.eml"
    write_whole(path, data, swept=swept)
    return path


def write_zns(directory: Path, name: str, body: dict[str, Any], *, swept: bool = False) -> Path:
    path = directory / f"{name}.json"
    write_whole(path, json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8"), swept=swept)
    return path


class NotifyOutbox(NotifyBase):
    """apprise's face of the outbox: `outbox:///var/lib/thidua/outbox` (or `outbox://` for the
    configured directory) writes each notification as a JSON file."""

    # apprise's base classes leave these unannotated with None / () defaults, so a type
    # checker takes None for their type: the ignores below say nothing about our values.
    service_name = "Thidua outbox"  # type: ignore[assignment]
    protocol = "outbox"  # type: ignore[assignment]
    setup_url = "https://example.invalid/thidua/outbox"  # type: ignore[assignment]
    request_rate_per_sec = 0
    templates = ("{schema}://{path}",)  # type: ignore[assignment]

    def __init__(self, path: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.path = path

    def directory(self) -> Path:
        if self.path:
            return Path(self.path)
        from thidua.settings import get_settings

        return Path(get_settings().outbox_dir)

    def url(self, privacy=False, *args, **kwargs) -> str:
        return f"outbox://{self.path}"

    def send(self, body, title="", notify_type=NotifyType.INFO, **kwargs) -> bool:
        import time

        name = f"apprise-{time.time_ns()}"
        write_zns(self.directory(), name, {"title": title, "body": body, "type": notify_type})
        return True

    @staticmethod
    def parse_url(url: str, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        results = NotifyBase.parse_url(url, verify_host=False)
        if not results:
            return results
        results["path"] = url.split("://", 1)[1].split("?", 1)[0]
        return results
