"""The browser pages' files (login, agent console, wallboard): one directory, one `/static` mount."""
from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


def page(name: str) -> FileResponse:
    """A page's HTML; no-cache so a redeploy is seen at once."""
    return FileResponse(STATIC_DIR / name, media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
