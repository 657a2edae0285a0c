"""Settings: defaults < config/hotline.toml < HOTLINE_* environment variables."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

PROJECT_DIR = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_DIR / "config"
SHARED_MODELS = PROJECT_DIR.parent / "shared" / "models"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore", toml_file=CONFIG_DIR / "hotline.toml")

    # where this instance keeps pid files, logs, Redis data, recordings
    state_dir: Path = PROJECT_DIR / ".state"
    # several sandboxes may share one Asterisk root; each gets its own directories inside it
    instance: str = Field(default="default", pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")

    # Asterisk sandbox (Debian unstable root built by mmdebstrap, shared and reused)
    pbx_root: Path = Path("/var/cache/hotline/asterisk-root")
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "hotline"
    ami_secret: str = "hotline-sandbox-secret"
    ami_ping_interval: float = 5.0
    ami_action_timeout: float = 10.0
    sip_port: int = 5060
    rtp_port_start: int = 20000
    rtp_port_end: int = 20999
    hotline_number: str = "12345"
    agent_count: int = Field(default=4, ge=1, le=200)
    # sandbox agent phones (SIPp UAS) listen on agent_phone_base_port + N for agentN
    agent_phone_base_port: int = 5170

    # Redis: a project-owned server, AOF on
    redis_port: int = 6390
    redis_host: str = "127.0.0.1"

    # web app (API, agent console, wallboard)
    http_host: str = "127.0.0.1"
    http_port: int = 8012

    # supervision: alert rules, webhooks, overflow actions (tests point the controller at their own file)
    overflow_file: Path = CONFIG_DIR / "overflow.yaml"

    # call flow
    ring_seconds: float = Field(default=1.0, ge=0.0, le=2.0)
    heartbeat_interval: float = 1.0
    heartbeat_stale_seconds: int = 3
    # a call the controller took but never queued (controller hung or killed mid-menu) goes to the general
    # line by itself after this long: the dialplan watchdog is re-armed with it instead of switched off
    call_flow_lease_seconds: int = Field(default=300, ge=5, le=3600)

    # speech recognition, in two passes over each recording (docs/architecture.md, "ASR passes"):
    # "fast" spots the taxonomy's keywords with asr_keyword_engine the moment the recording ends;
    # "hanzi" writes what the caller said in 汉字 with asr_engine and re-derives the ticket from it
    asr_passes: list[Literal["fast", "hanzi"]] = Field(default=["fast", "hanzi"], min_length=1)
    asr_engine: str = "whisper"  # whisper | vosk | sherpa-onnx (checked when loaded, naming the setting)
    asr_keyword_engine: str = "sherpa-onnx"
    # CTranslate2 Whisper model (default: whisper-base in models_dir, from `hotline models install whisper-base`)
    whisper_model_dir: Path | None = None
    whisper_threads: int = Field(default=2, ge=1, le=16)
    asr_model_dir: Path = SHARED_MODELS / "sherpa-onnx-kws-zipformer-wenetspeech-3.3M-2024-01-01-mobile"
    vosk_model_dir: Path | None = None
    models_dir: Path = PROJECT_DIR / ".state" / "models"
    # real recordings for `hotline call --sample LINE` (config/samples.yaml paths are relative to it)
    samples_dir: Path = PROJECT_DIR.parent / "shared" / "asr-dev"
    # local words to spot besides the taxonomy's (place names, estates, roads): HOTLINE_ASR_HOTWORDS='["阳光花园"]'
    asr_hotwords: list[str] = []

    @property
    def redis_url(self) -> str:
        return f"redis://{self.redis_host}:{self.redis_port}/0"

    @property
    def pbx_instance_dir(self) -> Path:
        """This instance's directory as Asterisk (inside the chroot) sees it."""
        return Path("/srv/hotline") / self.instance

    def host_path(self, chroot_path: Path | str) -> Path:
        """Translate a path inside the Asterisk root to the host's view."""
        return self.pbx_root / str(chroot_path).lstrip("/")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


@lru_cache
def get_settings() -> Settings:
    return Settings()
