"""`hotline deploy images`: the container images of docker-compose.yml, built offline (no registry)."""
from __future__ import annotations

import typer

from hotline.commands import fail
from hotline.deploy.images import ALL, ImageBuildError, build_images

app = typer.Typer(no_args_is_help=True)


@app.command()
def images(only: list[str] = typer.Option(list(ALL), "--only", help=f"Images to build: {', '.join(ALL)}."),
           rebuild: bool = typer.Option(False, help="Build the Debian roots again even if they exist.")) -> None:
    """Build the images: Debian roots from this machine's apt mirror (mmdebstrap | docker import), then the
    app (controller/web + ASR worker) and Redis images on top."""
    try:
        tags = build_images(tuple(only), rebuild=rebuild, log=typer.echo)
    except ImageBuildError as exc:
        fail(exc)
    typer.echo("images ready: " + ", ".join(tags))


cluster_app = typer.Typer(no_args_is_help=True)
app.add_typer(cluster_app, name="cluster", help="Kamailio + Asterisk nodes + Redis Sentinel on this machine.")


def _cluster():
    from hotline.deploy.cluster import LocalCluster  # Kamailio/Redis helpers only when asked for

    return LocalCluster()


@cluster_app.command("up")
def cluster_up() -> None:
    """Start Redis (primary, replica, 3 Sentinels), both Asterisk nodes with their controllers, an ASR worker
    and Kamailio. HOTLINE_CLUSTER_NODES (2), ports from HOTLINE_CLUSTER_SIP_BASE/_REDIS_BASE/_HTTP_BASE/_RTP_BASE."""
    from hotline.commands.controller import ControllerError
    from hotline.deploy.kamailio import KamailioError
    from hotline.deploy.redis_ha import RedisHAError
    from telephony.pbx import PbxConfigError, PbxError

    try:
        _cluster().up(log=typer.echo)
    except (KamailioError, RedisHAError, ControllerError, PbxError, PbxConfigError) as exc:
        fail(exc)


@cluster_app.command("down")
def cluster_down() -> None:
    """Stop everything `cluster up` started (Redis data stays in the cluster's state dir)."""
    _cluster().down()
    typer.echo("cluster down")


@cluster_app.command("status")
def cluster_status() -> None:
    """Nodes (Asterisk running, controller healthy), Kamailio's view of them, the Redis primary."""
    import json

    typer.echo(json.dumps(_cluster().status(), indent=2))


@cluster_app.command("kill-node")
def cluster_kill_node(node: int = typer.Argument(..., help="0 for the first node, 1 for the second, …")) -> None:
    """SIGKILL a node's Asterisk and controller (to watch Kamailio fail over)."""
    _cluster().kill_node(node)
    typer.echo(f"node {node} killed")
