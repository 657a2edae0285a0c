"""Test users.yaml writer shared by the agents unit tests."""
from pathlib import Path

import yaml

from hotline.auth.users import hash_password
from hotline.core.lines import parse_lines

PASSWORDS = {"agent1": "pw-agent1", "agent2": "pw-agent2", "supervisor": "pw-sup", "admin": "pw-admin"}


# the shipped lines, with the test agents signing in to the general line (dynamic members)
UNIT_LINES = parse_lines({"queues": [
    {"name": "business", "label": "企业服务"}, {"name": "tourism", "label": "文旅服务专线"},
    {"name": "general", "label": "综合服务", "login_members": ["agent1", "agent2"]}]})


def write_users(path: Path, count_agents: int = 2, **extra) -> Path:
    users = [{"username": f"agent{n}", "display_name": f"坐席{n}", "role": "agent", "endpoint": f"agent{n}",
              "password_hash": hash_password(PASSWORDS.get(f"agent{n}", f"pw-agent{n}"), 1000)}
             for n in range(1, count_agents + 1)]
    users += [{"username": "supervisor", "display_name": "班长", "role": "supervisor",
               "password_hash": hash_password(PASSWORDS["supervisor"], 1000)},
              {"username": "admin", "display_name": "管理员", "role": "admin",
               "password_hash": hash_password(PASSWORDS["admin"], 1000)}]
    path.write_text(yaml.safe_dump({"users": users, **extra}, allow_unicode=True), encoding="utf-8")
    return path
