"""Settings from the environment (prefix THIDUA_) or a .env file."""

from functools import cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="THIDUA_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str = ""  # default: SQLite file under data_dir
    document_dir: Path | None = None  # default: data_dir/documents
    outbox_dir: Path | None = None  # default: data_dir/outbox
    upload_dir: Path | None = None  # default: data_dir/uploads
    template_dir: Path | None = None  # an office's own templates; default: the shipped ones
    rules_dir: Path | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    # Notification channels, as apprise URLs. Empty: everything goes to the outbox.
    email_url: str = ""
    zalo_url: str = ""
    quiet_hours: str = "21:00-07:00"
    # PDF beside each official document when LibreOffice is installed (slow: ~1-5 s a run).
    pdf: bool = True
    secret_key: str = "dev-secret-change-me"
    environment: str = "development"

    @model_validator(mode="after")
    def _derive(self) -> "Settings":
        self.data_dir = self.data_dir.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'thidua.db'}"
        self.document_dir = self.document_dir or self.data_dir / "documents"
        self.outbox_dir = self.outbox_dir or self.data_dir / "outbox"
        self.upload_dir = self.upload_dir or self.data_dir / "uploads"
        if self.environment != "development" and self.secret_key == "dev-secret-change-me":
            raise ValueError("THIDUA_SECRET_KEY phải được đặt khi không ở chế độ phát triển")
        return self


@cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI's --data-dir change the environment)."""
    get_settings.cache_clear()


PROJECT_ROOT = Path(__file__).resolve().parent.parent
