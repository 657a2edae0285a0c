"""The single entry point: `hotline ...`. Each command group lives in hotline/commands/."""
from __future__ import annotations

import typer

from hotline.auth import cli as users_cli
from hotline.commands import (
    asr,
    calls,
    config,
    deploy,
    kb,
    lifecycle,
    menus,
    models,
    pbx,
    prompts,
    redis_server,
    tickets,
)
from hotline.commands.dispatch import app as dispatch_app
from hotline.commands.reports import app as reports_app

app = typer.Typer(no_args_is_help=True, help="12345 hotline IVR service (Asterisk AMI controller).")
lifecycle.register(app)  # up, down, status, doctor, serve
calls.register(app)  # call (demo SIPp call)
app.add_typer(pbx.app, name="pbx", help="Local Asterisk sandbox.")
app.add_typer(redis_server.app, name="redis", help="Project-owned Redis server.")
app.add_typer(asr.app, name="asr", help="Offline speech recognition.")
app.add_typer(models.app, name="models", help="Speech model installation.")
app.add_typer(tickets.app, name="tickets", help="Draft tickets (工单草稿).")
app.add_typer(reports_app, name="reports", help="Hotspot reports (热点分析): day, week, month.")
app.add_typer(menus.app, name="menus", help="Voice menus: validate, publish, show, history, rollback.")
app.add_typer(prompts.app, name="prompts", help="Voice prompts: build defaults, set recordings.")
app.add_typer(users_cli.app, name="users", help="Console users: list, set passwords.")
app.add_typer(config.app, name="config", help="Configuration files: check them all together.")
app.add_typer(deploy.app, name="deploy", help="Container images for docker-compose.yml.")
app.add_typer(kb.app, name="kb", help="Knowledge base (知识库): import, search.")
app.add_typer(dispatch_app, name="dispatch",
              help="承办单位 directory and 派单 rules: units, suggest, evaluate, apply.")

if __name__ == "__main__":
    app()
