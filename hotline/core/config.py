"""Settings: defaults < <config_dir>/hotline.toml < HOTLINE_* environment variables.

Every config file lives in one directory, `config_dir` (HOTLINE_CONFIG_DIR, default config/): tests and
`hotline config check` point it at another directory; each file can still be overridden alone
(HOTLINE_OVERFLOW_FILE, ...). The TOML file is strict (an unknown key is an error naming it); environment
variables stay lenient because the environment holds much else.
"""
from __future__ import annotations

import datetime as dt
import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

PROJECT_DIR = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_DIR / "config"
SHARED_MODELS = PROJECT_DIR.parent / "shared" / "models"
SETTINGS_FILE = "hotline.toml"
# file settings derived from config_dir unless given one by one
CONFIG_FILES = {"queues_file": "queues.yaml", "menus_file": "menus.yaml", "prompts_file": "prompts.yaml",
                "users_file": "users.yaml", "taxonomy_file": "taxonomy.yaml", "overflow_file": "overflow.yaml",
                "kb_file": "kb.yaml", "hours_file": "hours.yaml", "units_file": "units.yaml",
                "callback_file": "callback.yaml"}


_HOURS = r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"


class SettingsFileError(ValueError):
    """hotline.toml is unreadable or names a setting that does not exist; the message names file and key."""

    def __init__(self, message: str, keys: list[str] | None = None):
        super().__init__(message)
        self.keys = keys or []


class StrictTomlSource(TomlConfigSettingsSource):
    """The TOML file with extra="forbid": a misspelled key must not silently fall back to its default."""

    def __init__(self, settings_cls: type[BaseSettings], toml_file: Path):
        try:
            super().__init__(settings_cls, toml_file=toml_file)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsFileError(f"{toml_file}: not valid TOML ({exc})") from None
        unknown = sorted(set(self.toml_data) - set(settings_cls.model_fields))
        if "config_dir" in self.toml_data:
            unknown.append("config_dir")   # the file lives in it: HOTLINE_CONFIG_DIR sets it
        if unknown:
            raise SettingsFileError(f"{toml_file}: unknown setting(s) {', '.join(unknown)}", unknown)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    # the directory of every config file (hotline.toml, queues.yaml, menus.yaml, ..., asterisk/*.j2)
    config_dir: Path = CONFIG_DIR
    queues_file: Path = CONFIG_DIR / "queues.yaml"      # the line catalogue (hotline.core.lines)
    menus_file: Path = CONFIG_DIR / "menus.yaml"
    prompts_file: Path = CONFIG_DIR / "prompts.yaml"
    users_file: Path = CONFIG_DIR / "users.yaml"
    taxonomy_file: Path = CONFIG_DIR / "taxonomy.yaml"
    kb_file: Path = CONFIG_DIR / "kb.yaml"   # knowledge-base seed, imported into an empty knowledge base
    units_file: Path = CONFIG_DIR / "units.yaml"        # 承办单位 and 派单 rules (hotline.dispatch)

    # production: `hotline up` refuses sandbox-only defaults (hotline/core/production.py)
    env: Literal["sandbox", "production"] = "sandbox"
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
    # sandbox partner phones (SIPp UAS, config/partners.yaml endpoints) listen on partner_phone_base_port + N
    partner_phone_base_port: int = 5180

    # Redis: a project-owned server, AOF on
    redis_port: int = 6390
    redis_host: str = "127.0.0.1"
    redis_password: SecretStr | None = None
    # high availability: "host:port,host:port,..." of Redis Sentinels; when set, the primary of
    # redis_sentinel_master is found through them (redis_host/redis_port are then not used by the app)
    redis_sentinels: str = ""
    redis_sentinel_master: str = "hotline"
    # connections per process; a command waits this long for a free one (a call flow holds one per operation)
    redis_max_connections: int = Field(default=500, ge=1, le=100_000)
    redis_pool_timeout: float = Field(default=10.0, gt=0)

    # the controller's asyncio event loop: libuv (uvloop) or the standard library's (docs/decisions.md)
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"

    # web app (API, agent console, wallboard)
    http_host: str = "127.0.0.1"
    http_port: int = 8012

    # supervision: alert rules, webhooks, overflow actions (tests point the controller at their own file)
    overflow_file: Path = CONFIG_DIR / "overflow.yaml"

    # opening hours and holidays per line (hotline/hours): evaluated in the hotline's time zone
    hours_file: Path = CONFIG_DIR / "hours.yaml"
    timezone: str = "Asia/Shanghai"   # also the day of knowledge-base validity and of reports
    # TEST/DEMO ONLY: shifts the clock the opening hours are checked against (seconds; e.g. to see the
    # out-of-hours path at noon). Nothing else reads it. `hotline up` in production refuses a non-zero value.
    clock_offset_seconds: float = Field(default=0.0, ge=-400 * 86400, le=400 * 86400)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
        return value

    # 预约回拨 (call-back at peaks, hotline/callback): per-line offer thresholds and retries in callback_file;
    # callback_dial reaches the caller's phone, `{number}` the digits they confirmed (only 3-20 digits pass).
    # The sandbox's callers are SIPp phones on 127.0.0.1; production points it at the trunk (PJSIP/{number}@trunk)
    callback_file: Path = CONFIG_DIR / "callback.yaml"
    callback_dial: str = Field(default="PJSIP/callers/sip:{number}@127.0.0.1:5561",
                               pattern=r"^[^,|&;\n]*\{number\}[^,|&;\n]*$")   # no dialplan separators

    @model_validator(mode="before")
    @classmethod
    def _files_in_config_dir(cls, data: Any) -> Any:
        if isinstance(data, dict):
            base = Path(data.get("config_dir") or CONFIG_DIR)
            for key, name in CONFIG_FILES.items():
                data.setdefault(key, base / name)
        return data

    # call flow
    # ringback (180) before the answer; shortened by Asterisk's recent lateness so that the answer still comes
    # at arrival + ring_seconds at a busy hour (ivr/answer_timing.py); 0: answer at once, no 180
    ring_seconds: float = Field(default=1.0, ge=0.0, le=2.0)
    heartbeat_interval: float = 1.0
    heartbeat_stale_seconds: int = 3
    # the dialplan takes back a call the controller has not picked up within this long (answer ≤ 2 s anyway)
    pickup_watchdog_seconds: float = Field(default=1.5, ge=0.5, le=2.0)
    # the controller's nice value (and its autogroup's): one event loop serves every call while Asterisk has a
    # thread per call, so on a node short of CPU the loop must come first (needs root or CAP_SYS_NICE)
    controller_nice: int = Field(default=-10, ge=-20, le=19)
    # a call the controller took but never queued (controller hung or killed mid-menu) goes to the general
    # line by itself after this long: the dialplan watchdog is re-armed with it instead of switched off
    call_flow_lease_seconds: int = Field(default=300, ge=5, le=3600)
    # calls the flow did not finish (dialplan fallback, controller died mid-call) get their journal and ticket:
    # looked for every interval, among calls older than settle (still moving) and younger than window
    reconcile_interval_seconds: float = Field(default=10.0, ge=0.5, le=600)
    reconcile_settle_seconds: float = Field(default=20.0, ge=1, le=3600)
    reconcile_window_seconds: float = Field(default=6 * 3600, ge=60, le=7 * 24 * 3600)

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

    # --- satisfaction survey at the end of the call and 回访 follow-up calls (hotline/survey) -------------
    # the caller hears the survey when the agent hangs up first; lines listed here are left out
    survey_enabled: bool = True
    survey_disabled_lines: list[str] = []
    survey_wait_seconds: float = Field(default=5.0, ge=1, le=30)   # for the key, after the prompt
    survey_timezone: str = "Asia/Shanghai"     # the day of the 满意率 counters, and the 回访 hours
    followup_enabled: bool = True
    followup_hours: str = Field(default="08:00-21:00", pattern=_HOURS)   # "HH:MM-HH:MM", end may be 24:00
    followup_max_tries: int = Field(default=3, ge=1, le=10)
    followup_retry_minutes: float = Field(default=30.0, ge=0.01, le=24 * 60)
    followup_ring_seconds: int = Field(default=30, ge=5, le=120)
    followup_poll_seconds: float = Field(default=5.0, ge=0.2, le=300)
    # how Asterisk reaches a caller ({number}); the sandbox's followup-out endpoint rings a SIPp phone
    followup_dial: str = Field(default="PJSIP/{number}@followup-out", pattern=r"^[A-Za-z0-9/@._{}:-]+$")
    followup_phone_port: int = 5571            # sandbox only: where followup-out sends its INVITEs
    # TEST/DEMO ONLY: the wall clock the 回访 hours are checked against ("HH:MM" in survey_timezone)
    followup_clock: str = Field(default="", pattern=r"^$|^([01][0-9]|2[0-3]):[0-5][0-9]$")
    # the work-order system's token for POST /api/tickets/{id}/result (Bearer); empty: users only
    workorder_token: SecretStr | None = None

    @field_validator("redis_sentinels")
    @classmethod
    def _sentinels_are_host_port(cls, value: str) -> str:
        from hotline.core.redis_client import parse_sentinels

        parse_sentinels(value)
        return value

    def today(self) -> dt.date:
        """The date in the hotline's time zone."""
        return dt.datetime.now(ZoneInfo(self.timezone)).date()

    @property
    def redis_url(self) -> str:
        return f"redis://{self.redis_host}:{self.redis_port}/0"

    @property
    def asterisk_template_dir(self) -> Path:
        return self.config_dir / "asterisk"

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
        return (init_settings, env_settings, StrictTomlSource(settings_cls, settings_file(init_settings)))


def config_dir_from_env() -> Path:
    return Path(os.environ.get("HOTLINE_CONFIG_DIR") or CONFIG_DIR)


def settings_file(init_settings: PydanticBaseSettingsSource | None = None) -> Path:
    """<config_dir>/hotline.toml, config_dir from Settings(config_dir=...) or HOTLINE_CONFIG_DIR."""
    given = getattr(init_settings, "init_kwargs", {}).get("config_dir")
    return (Path(given) if given else config_dir_from_env()) / SETTINGS_FILE


@lru_cache
def get_settings() -> Settings:
    return Settings()
