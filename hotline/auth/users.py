"""Users as data (config/users.yaml): validated with pydantic, passwords as salted PBKDF2-SHA256."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from enum import Enum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hotline.core.config import CONFIG_FILES, config_dir_from_env
from hotline.core.lines import LineCatalogue
from hotline.core.webhooks import WebhookConfig

PBKDF2_ITERATIONS = 600_000
_HASH_SCHEME = "pbkdf2_sha256"


class Role(str, Enum):
    agent = "agent"
    supervisor = "supervisor"
    admin = "admin"


def hash_password(password: str, iterations: int = PBKDF2_ITERATIONS, salt: str | None = None) -> str:
    """`pbkdf2_sha256$<iterations>$<salt hex>$<digest hex>`; the salt is random unless given."""
    if not password:
        raise ValueError("password must not be empty")
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{_HASH_SCHEME}${iterations}${salt}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, iterations, salt, digest = encoded.split("$")
        rounds = int(iterations)
    except ValueError:
        return False
    if scheme != _HASH_SCHEME or rounds < 1:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), rounds)
    return hmac.compare_digest(candidate.hex(), digest)


class User(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,31}$")
    display_name: str = Field(min_length=1, max_length=64)
    role: Role
    # the PJSIP endpoint (agentN) an agent's calls ring; the lines it serves are in config/queues.yaml
    endpoint: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,32}$")
    disabled: bool = False   # cannot log in; existing sessions stop working (set from /admin)
    password_hash: str = Field(repr=False, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _no_queues_here(cls, data):
        if isinstance(data, dict) and "queues" in data:
            raise ValueError("'queues' moved to config/queues.yaml: list the endpoint under the line's members "
                             "(static) or login_members (joins on console login)")
        return data

    @field_validator("password_hash")
    @classmethod
    def _hash_format(cls, value: str) -> str:
        if not value.startswith(_HASH_SCHEME + "$") or value.count("$") != 3:
            raise ValueError("password_hash must be pbkdf2_sha256$iterations$salt$hex (set it with `hotline users set-password`)")
        return value

    @model_validator(mode="after")
    def _agents_have_endpoints(self) -> "User":
        if self.role is Role.agent and not self.endpoint:
            raise ValueError(f"agent {self.username} needs an endpoint (e.g. agent1)")
        return self

    @property
    def interface(self) -> str | None:
        return f"PJSIP/{self.endpoint}" if self.endpoint else None

    def public(self, lines: LineCatalogue) -> dict:
        """What the console and API show: the user plus the lines it serves (from the catalogue)."""
        return self.model_dump(mode="json", exclude={"disabled"}) | {"queues": lines.queues_for(self.endpoint)}


class Directory(BaseModel):
    """The whole users.yaml: users plus the console's settings."""
    model_config = ConfigDict(extra="forbid")

    token_ttl_seconds: int = Field(default=12 * 3600, ge=1, le=7 * 24 * 3600)
    screenpop_stream_maxlen: int = Field(default=500, ge=10, le=100_000)
    webhooks: WebhookConfig = Field(default_factory=WebhookConfig)
    users: list[User]

    @model_validator(mode="after")
    def _unique(self) -> "Directory":
        for attr in ("username", "endpoint"):
            values = [getattr(u, attr) for u in self.users if getattr(u, attr)]
            dupes = {v for v in values if values.count(v) > 1}
            if dupes:
                raise ValueError(f"duplicate {attr}: {sorted(dupes)}")
        return self

    def get(self, username: str) -> User | None:
        return next((u for u in self.users if u.username == username), None)

    def by_endpoint(self, endpoint: str) -> User | None:
        return next((u for u in self.users if u.endpoint == endpoint), None)

    def agents(self) -> list[User]:
        return [u for u in self.users if u.endpoint]


class UsersFileError(RuntimeError):
    pass


def users_file() -> Path:
    """HOTLINE_USERS_FILE, else users.yaml of HOTLINE_CONFIG_DIR: read from the environment as it is now
    (tests change it while the process runs), not from the cached settings."""
    return Path(os.environ.get("HOTLINE_USERS_FILE") or config_dir_from_env() / CONFIG_FILES["users_file"])


def load_directory(path: Path | None = None) -> Directory:
    """Read and validate users.yaml; a bad file is a clear error naming the file and the field."""
    path = path or users_file()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Directory.model_validate(data)
    except FileNotFoundError as exc:
        raise UsersFileError(f"{path}: not found") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise UsersFileError(f"{path}: {exc}") from exc
