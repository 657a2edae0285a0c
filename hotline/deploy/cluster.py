"""A hotline larger than one box, run on this machine's loopback: Kamailio in front of two Asterisk nodes, each
with its own controller; one Redis for the whole hotline (primary + replica + 3 Sentinels); an ASR worker that
consumes the one recording stream. `hotline deploy cluster up|down|status|kill-node`; tests/cluster/."""
from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hotline.commands.controller import AsrWorkers, Controller
from hotline.core.config import PROJECT_DIR, Settings
from hotline.deploy.kamailio import Kamailio
from hotline.deploy.redis_ha import RedisHA
from hotline.pbx import sandbox
from telephony.pbx import PbxSandbox, process

NODE_NAMES = "abcdefgh"


@dataclass(frozen=True)
class ClusterPlan:
    """Every port from four bases. Kamailio sip_base, Sentinels sip_base+3..5; node i: AMI sip_base+20i+1,
    SIP +2, agent phones +10+N, web http_base+i, RTP 200 ports from rtp_base+200i; Redis redis_base(+1)."""
    name: str = "cluster"
    state_dir: Path = PROJECT_DIR / ".state" / "cluster"
    sip_base: int = 5720
    redis_base: int = 6610
    http_base: int = 8720
    rtp_base: int = 27200
    nodes: int = 2

    @classmethod
    def from_env(cls) -> "ClusterPlan":
        env = os.environ.get
        name = env("HOTLINE_CLUSTER_NAME", cls.name)
        return cls(name=name, state_dir=Path(env("HOTLINE_CLUSTER_STATE_DIR", PROJECT_DIR / ".state" / name)),
                   sip_base=int(env("HOTLINE_CLUSTER_SIP_BASE", cls.sip_base)),
                   redis_base=int(env("HOTLINE_CLUSTER_REDIS_BASE", cls.redis_base)),
                   http_base=int(env("HOTLINE_CLUSTER_HTTP_BASE", cls.http_base)),
                   rtp_base=int(env("HOTLINE_CLUSTER_RTP_BASE", cls.rtp_base)),
                   nodes=int(env("HOTLINE_CLUSTER_NODES", cls.nodes)))

    def __post_init__(self) -> None:
        if not 2 <= self.nodes <= len(NODE_NAMES):
            raise ValueError(f"HOTLINE_CLUSTER_NODES must be 2-{len(NODE_NAMES)}, not {self.nodes}")

    @property
    def kamailio_port(self) -> int:
        return self.sip_base

    @property
    def sentinel_ports(self) -> tuple[int, ...]:
        return tuple(self.sip_base + 3 + i for i in range(3))

    def instance(self, i: int) -> str:
        return f"{self.name}-{NODE_NAMES[i]}"

    def node_env(self, i: int, redis: RedisHA) -> dict[str, str]:
        """The HOTLINE_* settings of node i's Asterisk, controller and workers."""
        base, rtp = self.sip_base + 20 * i, self.rtp_base + 200 * i
        return {"HOTLINE_INSTANCE": self.instance(i), "HOTLINE_STATE_DIR": str(self.state_dir / self.instance(i)),
                "HOTLINE_AMI_PORT": str(base + 1), "HOTLINE_SIP_PORT": str(base + 2),
                "HOTLINE_AGENT_PHONE_BASE_PORT": str(base + 10), "HOTLINE_HTTP_PORT": str(self.http_base + i),
                "HOTLINE_RTP_PORT_START": str(rtp), "HOTLINE_RTP_PORT_END": str(rtp + 199),
                "HOTLINE_REDIS_PORT": str(redis.primary_port), "HOTLINE_REDIS_PASSWORD": redis.password,
                "HOTLINE_REDIS_SENTINELS": redis.sentinels, "HOTLINE_REDIS_SENTINEL_MASTER": redis.master_name}


@contextmanager
def environment(env: dict[str, str]):
    """os.environ with `env` on top (background commands copy it when they start; Settings() reads it)."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass
class LocalCluster:
    plan: ClusterPlan = field(default_factory=ClusterPlan.from_env)

    def __post_init__(self) -> None:
        self.plan.state_dir.mkdir(parents=True, exist_ok=True)
        secret = self.plan.state_dir / "redis-password"   # kept so that `down` and tests find the same Redis
        if not secret.exists():
            secret.write_text(secrets.token_urlsafe(24))
            secret.chmod(0o600)
        p = self.plan
        self.redis = RedisHA(p.state_dir / "redis", p.redis_base, p.redis_base + 1, p.sentinel_ports,
                             secret.read_text().strip(), master_name=p.name)
        self.kamailio = Kamailio(p.state_dir / "kamailio", p.kamailio_port,
                                 [p.sip_base + 20 * i + 2 for i in range(p.nodes)])

    def env(self, i: int) -> dict[str, str]:
        return self.plan.node_env(i, self.redis)

    def settings(self, i: int) -> Settings:
        with environment(self.env(i)):
            return Settings()

    def up(self, log=print) -> None:
        self.redis.up()
        log(f"Redis primary {self.redis.primary_port}, replica {self.redis.replica_port}, "
            f"Sentinels {self.redis.sentinels}")
        for i in range(self.plan.nodes):
            settings = self.settings(i)
            sandbox(settings).up()   # with the line catalogue: the queues its config renders
            with environment(self.env(i)):
                Controller(settings).start(timeout=60)
                if i == 0:
                    AsrWorkers(settings).start()
            log(f"node {self.plan.instance(i)}: SIP {settings.sip_port}, AMI {settings.ami_port}, "
                f"web http://127.0.0.1:{settings.http_port}/")
        self.kamailio.up()
        log(f"Kamailio: callers dial sip:{Settings().hotline_number}@127.0.0.1:{self.plan.kamailio_port}")

    def down(self) -> None:
        self.kamailio.down()
        for i in range(self.plan.nodes):
            settings = self.settings(i)
            AsrWorkers(settings).stop()
            Controller(settings).stop()
            PbxSandbox(settings).down()
        self.redis.down()

    def kill_node(self, i: int) -> None:
        """SIGKILL node i's Asterisk and controller: a box that dies, calls in progress on it included."""
        settings = self.settings(i)
        for pid in (PbxSandbox(settings).pid(), Controller(settings).pid()):
            if pid is not None:
                os.kill(pid, 9)
                process.wait_exit(pid, 5)

    def status(self) -> dict:
        nodes = {}
        for i in range(self.plan.nodes):
            settings = self.settings(i)
            nodes[self.plan.instance(i)] = {"asterisk": PbxSandbox(settings).pid() is not None,
                                            "controller": Controller(settings).health()[0] == 200}
        return {"nodes": nodes, "kamailio": self.kamailio.destinations() if self.kamailio.pid() else None,
                "redis_primary": self.redis.primary()}
