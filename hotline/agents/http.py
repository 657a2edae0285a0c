"""HTTP surface of the agents feature: auth routes, the login page and the agent console."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from hotline.agents import auth

STATIC_DIR = Path(__file__).parent / "static"
_MEDIA = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}

router = APIRouter()
router.include_router(auth.router)


def _static(name: str) -> FileResponse:
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR.resolve() or path.suffix not in _MEDIA or not path.is_file():
        raise HTTPException(404, "not found")
    return FileResponse(path, media_type=_MEDIA[path.suffix], headers={"Cache-Control": "no-cache"})


@router.get("/login", include_in_schema=False)
async def login_page() -> FileResponse:
    return _static("login.html")


@router.get("/console", include_in_schema=False)
async def console_page() -> FileResponse:
    return _static("console.html")


@router.get("/agents/static/{name}", include_in_schema=False)
async def static_file(name: str) -> FileResponse:
    return _static(name)
