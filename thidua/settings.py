"""Settings from the environment (prefix THIDUA_) or a .env file."""

import math
from collections import Counter
from functools import cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="THIDUA_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""  # default: SQLite file under data_dir
    # Unset, these lie under data_dir (validated before them, so already resolved).
    document_dir: Path = Field(default_factory=lambda s: s["data_dir"] / "documents")
    outbox_dir: Path = Field(default_factory=lambda s: s["data_dir"] / "outbox")
    upload_dir: Path = Field(default_factory=lambda s: s["data_dir"] / "uploads")
    # Keys of open meetings' sealed ballot boxes: never in the database; each destroyed at close.
    ballot_key_dir: Path = Field(default_factory=lambda s: s["data_dir"] / "ballot-keys")
    template_dir: Path | None = None  # an office's own templates; default: the shipped ones
    rules_dir: Path | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    # Notification channels, as apprise URLs. Empty: everything goes to the outbox.
    email_url: str = ""
    zalo_url: str = ""
    quiet_hours: str = "21:00-07:00"
    # A notice attaches an issued document up to this size; a larger one is linked in the
    # portal instead: mail providers refuse large messages and cap a day's volume, and a
    # 1.6 MB report attached for 2,000 unit heads is 3 GB of mail. A letter or a short report
    # goes attached (the demo's largest, the final report of 4 blocks, is 92 kB); a report
    # with many blocks' charts or a decision with a long annex goes as a link. 0: never.
    attach_max_kb: int = Field(default=150, ge=0)
    # The portal's address as recipients reach it (`thidua web`'s default); the links in
    # notices start with it.
    portal_url: str = "http://127.0.0.1:8000"
    # PDF beside each official document when LibreOffice is installed (slow: ~1-5 s a run).
    pdf: bool = True
    secret_key: str = "dev-secret-change-me"
    environment: str = "development"

    @field_validator("data_dir")
    @classmethod
    def _resolve(cls, data_dir: Path) -> Path:
        return data_dir.expanduser().resolve()

    @model_validator(mode="after")
    def _derive(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'thidua.db'}"
        if self.environment != "development":
            if self.secret_key == "dev-secret-change-me":
                raise ValueError("THIDUA_SECRET_KEY phải được đặt khi không ở chế độ phát triển")
            if why := weak_secret(self.secret_key):
                raise ValueError(
                    f"THIDUA_SECRET_KEY quá yếu ({why}); tạo một khoá bằng lệnh: "
                    "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
                )
        return self


MIN_SECRET = 32
MIN_SECRET_BITS = 128


def weak_secret(key: str) -> str | None:
    """Why a session-signing key is too weak to run in production (None: strong enough): at
    least MIN_SECRET characters, ~128 bits by the spread of its characters and zxcvbn's top
    score, so "x", a repeated letter, "0123456789…" or a phrase of words is refused."""
    if len(key) < MIN_SECRET:
        return f"dài {len(key)} ký tự, cần ít nhất {MIN_SECRET}"
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    if len(counts) < 12 or per_char * len(key) < MIN_SECRET_BITS:
        return "lặp lại quá ít ký tự khác nhau, dễ đoán"
    from zxcvbn import zxcvbn  # words, dates and keyboard runs, which the spread misses

    if zxcvbn(key[:100])["score"] < 4:
        return "ghép từ những từ hoặc dãy dễ đoán"
    return None


@cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI's --data-dir change the environment)."""
    get_settings.cache_clear()


PROJECT_ROOT = Path(__file__).resolve().parent.parent
