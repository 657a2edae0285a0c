"""hotline models install/list: local zip or directory, URL (served on 127.0.0.1), checks, atomic replace."""
from __future__ import annotations

import functools
import hashlib
import http.server
import threading
import zipfile
from pathlib import Path

import pytest

from asr.models import ModelInstallError, install, installed_models


def fake_vosk_model(root: Path, marker: str = "v1") -> Path:
    """The file layout of a Vosk model (the installer checks layout, not weights)."""
    (root / "am").mkdir(parents=True)
    (root / "conf").mkdir()
    (root / "am" / "final.mdl").write_text(marker)
    (root / "conf" / "model.conf").write_text("--sample-frequency=16000\n")
    return root


def zip_dir(source: Path, archive: Path, top: str) -> Path:
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in source.rglob("*"):
            bundle.write(path, f"{top}/{path.relative_to(source)}")
    return archive


@pytest.fixture
def model_zip(tmp_path) -> Path:
    return zip_dir(fake_vosk_model(tmp_path / "src"), tmp_path / "m.zip", "vosk-model-cn-test")


def test_install_from_zip_with_sha256(tmp_path, model_zip):
    digest = hashlib.sha256(model_zip.read_bytes()).hexdigest()
    target = install("vosk-model-cn-test", tmp_path / "models", str(model_zip), sha256=digest)
    assert (target / "am" / "final.mdl").read_text() == "v1"
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["vosk-model-cn-test"]  # no leftovers
    rows = {r["name"]: r for r in installed_models(tmp_path / "models")}
    assert rows["vosk-model-cn-test"]["installed"] and rows["vosk-model-cn-test"]["engine"] == "vosk"
    assert not rows["vosk-model-small-cn-0.22"]["installed"]


def test_sha256_mismatch_installs_nothing(tmp_path, model_zip):
    with pytest.raises(ModelInstallError, match="sha256 mismatch"):
        install("vosk-model-cn-test", tmp_path / "models", str(model_zip), sha256="0" * 64)
    assert list((tmp_path / "models").iterdir()) == []


def test_known_model_size_is_checked(tmp_path, model_zip):
    with pytest.raises(ModelInstallError, match="43,898,754 bytes"):
        install("vosk-model-small-cn-0.22", tmp_path / "models", str(model_zip))


def test_install_from_directory_and_replace_with_force(tmp_path):
    models = tmp_path / "models"
    install("vosk-x", models, str(fake_vosk_model(tmp_path / "a", "v1")))
    with pytest.raises(ModelInstallError, match="already exists"):
        install("vosk-x", models, str(fake_vosk_model(tmp_path / "b", "v2")))
    install("vosk-x", models, str(tmp_path / "b"), force=True)
    assert (models / "vosk-x" / "am" / "final.mdl").read_text() == "v2"
    assert sorted(p.name for p in models.iterdir()) == ["vosk-x"]


def test_not_a_model(tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "readme.txt").write_text("hi")
    with pytest.raises(ModelInstallError, match="holds no Vosk"):
        install("junk", tmp_path / "models", str(tmp_path / "junk"))
    (tmp_path / "bad.zip").write_bytes(b"PK not really")
    with pytest.raises(ModelInstallError, match="not a valid zip"):
        install("junk", tmp_path / "models", str(tmp_path / "bad.zip"))


def test_zip_slip_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as bundle:
        bundle.writestr("../../escape.txt", "x")
    with pytest.raises(ModelInstallError, match="unsafe path"):
        install("evil", tmp_path / "models", str(tmp_path / "evil.zip"))
    assert not (tmp_path / "escape.txt").exists()


def test_unknown_name_needs_a_source(tmp_path):
    with pytest.raises(ModelInstallError, match="unknown model"):
        install("vosk-model-xx", tmp_path)
    with pytest.raises(ModelInstallError, match="not a valid model name"):
        install("../etc", tmp_path, "x.zip")


def test_install_from_url(tmp_path, model_zip):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(model_zip.parent))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/m.zip"
        target = install("vosk-model-cn-test", tmp_path / "models", url)
        assert (target / "am" / "final.mdl").is_file()
    finally:
        server.shutdown()
        server.server_close()


def test_unreachable_url_is_a_clear_error(tmp_path):
    with pytest.raises(ModelInstallError, match=r"cannot download .*--from /path/to/model.zip"):
        install("vosk-model-cn-test", tmp_path / "models", "http://127.0.0.1:9/m.zip")
    assert list((tmp_path / "models").iterdir()) == []
