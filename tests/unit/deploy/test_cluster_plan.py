"""The local cluster's plan, Kamailio's rendered config and Redis HA's files (no process started)."""
import shutil
import subprocess

import pytest

from hotline.deploy.cluster import ClusterPlan
from hotline.deploy.kamailio import Kamailio
from hotline.deploy.redis_ha import RedisHA


def test_every_port_of_the_plan_is_distinct_and_off_the_sandbox_defaults(tmp_path):
    plan = ClusterPlan(name="t", state_dir=tmp_path)
    ha = RedisHA(tmp_path, plan.redis_base, plan.redis_base + 1, plan.sentinel_ports, "pw", master_name="t")
    envs = [plan.node_env(i, ha) for i in range(plan.nodes)]
    ports = [int(env[key]) for env in envs for key in ("HOTLINE_AMI_PORT", "HOTLINE_SIP_PORT", "HOTLINE_HTTP_PORT")]
    ports += [int(env["HOTLINE_AGENT_PHONE_BASE_PORT"]) + n for env in envs for n in range(1, 5)]
    ports += [plan.kamailio_port, *plan.sentinel_ports, ha.primary_port, ha.replica_port]
    assert len(ports) == len(set(ports)) and not {5038, 5060, 6390, 8012} & set(ports)
    assert [env["HOTLINE_INSTANCE"] for env in envs] == ["t-a", "t-b"]
    assert envs[0]["HOTLINE_REDIS_SENTINELS"] == ",".join(f"127.0.0.1:{p}" for p in plan.sentinel_ports)
    ranges = [(int(e["HOTLINE_RTP_PORT_START"]), int(e["HOTLINE_RTP_PORT_END"])) for e in envs]
    assert ranges[0][1] < ranges[1][0]


def test_redis_servers_and_sentinels_get_password_and_roles(tmp_path):
    ha = RedisHA(tmp_path, 6610, 6611, (5790, 5791, 5792), "s3cret", master_name="hl")
    primary, replica = ha._server_conf(6610, None), ha._server_conf(6611, 6610)
    assert "requirepass s3cret" in primary and "appendonly yes" in primary and "replicaof" not in primary
    assert "replicaof 127.0.0.1 6610" in replica and "masterauth s3cret" in replica
    sentinel = ha._sentinel_conf(5790)
    assert "sentinel monitor hl 127.0.0.1 6610 2" in sentinel and "sentinel auth-pass hl s3cret" in sentinel


def test_a_restart_after_a_failover_keeps_the_promoted_primary(tmp_path):
    ha = RedisHA(tmp_path, 6610, 6611, (5790, 5791, 5792), "pw", master_name="hl")
    assert ha.last_primary() == 6610
    folder = tmp_path / "redis-5790"
    folder.mkdir()
    (folder / "sentinel.conf").write_text("port 5790\nsentinel monitor hl 127.0.0.1 6611 2\n")
    assert ha.last_primary() == 6611


@pytest.mark.skipif(shutil.which("kamailio") is None, reason="kamailio not installed")
def test_kamailio_accepts_the_rendered_config(tmp_path):
    kamailio = Kamailio(tmp_path, 5780, [5722, 5742])
    kamailio.render()
    assert (tmp_path / "dispatcher.list").read_text() == \
        "1 sip:127.0.0.1:5722 0 0 node=0\n1 sip:127.0.0.1:5742 0 0 node=1\n"
    check = subprocess.run(["kamailio", "-c", "-f", str(kamailio.cfg)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr[-2000:]


def test_more_nodes_get_their_own_ports_and_the_count_is_checked(tmp_path):
    plan = ClusterPlan(name="t", state_dir=tmp_path, nodes=4)
    ha = RedisHA(tmp_path, plan.redis_base, plan.redis_base + 1, plan.sentinel_ports, "pw")
    sip = [int(plan.node_env(i, ha)["HOTLINE_SIP_PORT"]) for i in range(4)]
    assert len(set(sip)) == 4 and plan.kamailio_port not in sip and not set(plan.sentinel_ports) & set(sip)
    with pytest.raises(ValueError, match="HOTLINE_CLUSTER_NODES"):
        ClusterPlan(nodes=1)
