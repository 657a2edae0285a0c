"""Image building helpers: the mmdebstrap command and the build context (no Docker engine needed)."""
import io
import tarfile

from hotline.deploy.images import ASTERISK, BASE, DOCKERFILES, build_context, mmdebstrap_command


def test_roots_are_streamed_from_the_given_mirror():
    assert mmdebstrap_command(BASE, "http://mirror.example/debian")[-3:] == [
        "bookworm", "-", "deb http://mirror.example/debian bookworm main"]
    command = mmdebstrap_command(ASTERISK, "http://m/debian")
    assert "--include=asterisk" in command and command[-2:] == ["-", "deb http://m/debian sid main"]


def test_app_context_has_sources_and_host_certificates_but_no_bytecode(tmp_path):
    (tmp_path / "corp.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    (tmp_path / "notes.txt").write_text("not a certificate")
    names = tarfile.open(fileobj=io.BytesIO(build_context(DOCKERFILES / "app.Dockerfile", True, tmp_path))).getnames()
    assert {"Dockerfile", "ca-certificates/corp.crt", "pyproject.toml", "hotline/cli.py", "config/menus.yaml"} <= set(names)
    assert "ca-certificates/notes.txt" not in names and not any("__pycache__" in n for n in names)


def test_redis_context_is_only_the_dockerfile_and_certificates(tmp_path):
    names = tarfile.open(fileobj=io.BytesIO(build_context(DOCKERFILES / "redis.Dockerfile", False, tmp_path))).getnames()
    assert names == ["Dockerfile", "ca-certificates"]
