"""Container images built without a registry: Debian roots from this machine's apt mirror (mmdebstrap piped
into `docker import`), then the app and Redis images on top with a Dockerfile.

Images: `local/debian:bookworm` (base), `local/hotline-asterisk:sid` (Debian unstable + asterisk, like the
sandbox root), `local/hotline-app` (controller/web and ASR worker: one image, the command picks the role),
`local/hotline-redis` (redis-server and redis-sentinel)."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from hotline.core.config import PROJECT_DIR
from telephony.pbx.rootfs import find_debian_mirror

# /usr/local/bin/docker may be another client; the Debian docker.io one talks to the engine we start
DOCKER = os.environ.get("HOTLINE_DOCKER", "/usr/bin/docker")
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
APP_SOURCES = ("pyproject.toml", "README.md", "hotline", "telephony", "ivr", "asr", "config")
DOCKERFILES = PROJECT_DIR / "containers"


class ImageBuildError(RuntimeError):
    """An image could not be built; the message says which and why."""


@dataclass(frozen=True)
class RootImage:
    tag: str
    suite: str
    include: tuple[str, ...] = ()


BASE = RootImage("local/debian:bookworm", "bookworm")
ASTERISK = RootImage("local/hotline-asterisk:sid", "sid", ("asterisk",))
APP = "local/hotline-app:latest"
REDIS = "local/hotline-redis:latest"
ALL = ("base", "asterisk", "app", "redis")


def docker(*args: str, **kwargs) -> subprocess.CompletedProcess:
    if not Path(DOCKER).exists():
        raise ImageBuildError(f"{DOCKER} is missing: apt-get install docker.io, then start dockerd")
    return subprocess.run([DOCKER, *args], **kwargs)


def image_exists(tag: str) -> bool:
    return docker("image", "inspect", tag, capture_output=True).returncode == 0


def mmdebstrap_command(image: RootImage, mirror: str) -> list[str]:
    """A tarball of the root on stdout. Unstable's Release file may be older than its Valid-Until."""
    return ["mmdebstrap", "--variant=apt", "--aptopt=Acquire::Check-Valid-Until \"false\"",
            *([f"--include={','.join(image.include)}"] if image.include else []),
            image.suite, "-", f"deb {mirror} {image.suite} main"]


def import_root(image: RootImage, mirror: str, log=print) -> None:
    """mmdebstrap | docker import, both exit codes checked (a failed mmdebstrap would otherwise import an
    empty or truncated image): imported under a temporary tag, renamed only when both succeeded."""
    if shutil.which("mmdebstrap") is None:
        raise ImageBuildError("mmdebstrap is missing: apt-get install mmdebstrap")
    partial = f"{image.tag}-partial"
    command = mmdebstrap_command(image, mirror)
    log(f"building {image.tag}: {' '.join(command)} | docker import")
    strap = subprocess.Popen(command, stdout=subprocess.PIPE)
    imported = docker("import", "--change", "ENV LANG=C.UTF-8", "-", partial, stdin=strap.stdout,
                      stdout=subprocess.DEVNULL)
    strap.stdout.close()
    if strap.wait() != 0 or imported.returncode != 0:
        docker("image", "rm", "-f", partial, capture_output=True)
        raise ImageBuildError(f"{image.tag}: mmdebstrap exit {strap.returncode}, docker import exit "
                              f"{imported.returncode}; see the output above")
    docker("tag", partial, image.tag, check=True)
    docker("image", "rm", partial, capture_output=True)


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    if "__pycache__" in info.name:
        return None
    info.mtime = int(info.mtime)  # a float mtime means a PAX header per file, which docker 20.10 misreads
    return info


def build_context(dockerfile: Path, with_sources: bool, ca_dir: Path = HOST_CA_DIR) -> bytes:
    """The build context as a tarball: the Dockerfile, the host's extra CA certificates (HTTPS to the
    package index goes through them here) and, for the app, the project's sources."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        tar.add(dockerfile, arcname="Dockerfile", filter=_plain)
        info = tarfile.TarInfo("ca-certificates")
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
        for cert in sorted(ca_dir.glob("*.crt")) if ca_dir.is_dir() else []:
            tar.add(cert, arcname=f"ca-certificates/{cert.name}", filter=_plain)
        for name in APP_SOURCES if with_sources else ():
            tar.add(PROJECT_DIR / name, arcname=name, filter=_plain)
    return buffer.getvalue()


def build_dockerfile(tag: str, dockerfile: Path, with_sources: bool, log=print) -> None:
    log(f"building {tag} from {dockerfile.relative_to(PROJECT_DIR)}")
    result = docker("build", "--tag", tag, "-", input=build_context(dockerfile, with_sources))
    if result.returncode != 0:
        raise ImageBuildError(f"{tag}: docker build exit {result.returncode}; see the output above")


def build_images(only: tuple[str, ...] = ALL, rebuild: bool = False, log=print) -> list[str]:
    """Build the images asked for; the Debian roots are reused unless `rebuild`, the Dockerfile images
    always go through `docker build` (its layer cache makes an unchanged one instant). Returns the tags."""
    unknown = set(only) - set(ALL)
    if unknown:
        raise ImageBuildError(f"unknown image(s) {sorted(unknown)}; choose from {', '.join(ALL)}")
    if docker("info", capture_output=True).returncode != 0:
        raise ImageBuildError("the Docker engine does not answer: start it (as root: dockerd &)")
    built = []
    for root in ((BASE,) if "base" in only or {"app", "redis"} & set(only) else ()) + \
                ((ASTERISK,) if "asterisk" in only else ()):
        if rebuild or not image_exists(root.tag):
            import_root(root, find_debian_mirror(), log)
        built.append(root.tag)
    if "app" in only:
        build_dockerfile(APP, DOCKERFILES / "app.Dockerfile", with_sources=True, log=log)
        built.append(APP)
    if "redis" in only:
        build_dockerfile(REDIS, DOCKERFILES / "redis.Dockerfile", with_sources=False, log=log)
        built.append(REDIS)
    return built
