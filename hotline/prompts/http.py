"""Prompt API: supervisors and admins list and listen; admins upload, re-synthesise and reset (audited)."""
from __future__ import annotations

import tempfile
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from hotline.admin.http import actor_of
from hotline.api.deps import AdminUser, RedisDep, RuntimeDep, SupervisorUser
from hotline.prompts import audio
from hotline.prompts.service import PromptService
from hotline.prompts.store import PromptNotFound
from ivr.menus.schema import PROMPT_NAME
from ivr.prompts import PromptError

router = APIRouter(tags=["prompts"])
Name = Annotated[str, Path(pattern=PROMPT_NAME, description="prompt name: lowercase letters, digits, '-', '_'")]
_CHUNK = 256 * 1024
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": f"any format sox reads, {audio.MIN_SECONDS:g}-{audio.MAX_SECONDS:g} s, "
                                           f"at most {audio.MAX_UPLOAD_BYTES // 2**20} MiB"},
                   "note": {"type": "string", "maxLength": 200}}}}}}}


class TtsRequest(BaseModel):
    text: str = Field(min_length=1, max_length=audio.MAX_TEXT)
    note: str = Field(default="", max_length=200)


class ResetRequest(BaseModel):
    note: str = Field(default="", max_length=200)


def _service(runtime) -> PromptService:
    return PromptService(runtime.settings, runtime.redis)


def _refused(exc: PromptError) -> HTTPException:
    return HTTPException(404 if isinstance(exc, PromptNotFound) else 422, str(exc))


@router.get("/api/prompts")
async def list_prompts(runtime: RuntimeDep, _: SupervisorUser) -> dict:
    """Every prompt: text, duration (s), source (default / uploaded / regenerated / missing), who changed it
    when, sha256 of the file; and the limits an upload must meet."""
    return {"prompts": await _service(runtime).list(),
            "limits": {"min_seconds": audio.MIN_SECONDS, "max_seconds": audio.MAX_SECONDS,
                       "max_bytes": audio.MAX_UPLOAD_BYTES, "max_text": audio.MAX_TEXT}}


@router.get("/api/prompts/{name}/audio", response_class=FileResponse,
            responses={200: {"content": {"audio/wav": {}}, "description": "the prompt as Asterisk plays it"}})
async def prompt_audio(name: Name, runtime: RuntimeDep, _: SupervisorUser) -> FileResponse:
    """The prompt as Asterisk plays it (8 kHz mono 16-bit WAV, which browsers play as it is)."""
    path = _service(runtime).audio_path(name)
    if not path.is_file():
        raise HTTPException(404, f"提示音 {name} 不存在 / prompt {name!r} has no audio")
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "no-store"})


async def _read_upload(request: Request, into: FilePath) -> tuple[FilePath, str]:
    """The multipart field `file` saved under a name of ours; the size checked before the body is read."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411, "上传需要 Content-Length / an upload needs a Content-Length header")
    if int(length) > audio.MAX_UPLOAD_BYTES + 64 * 1024:
        raise HTTPException(413, f"文件太大，最大 {audio.MAX_UPLOAD_BYTES // 2**20} MB / "
                                 f"file too large: at most {audio.MAX_UPLOAD_BYTES // 2**20} MiB")
    form = await request.form(max_files=1, max_fields=2)
    upload, note = form.get("file"), form.get("note")
    if not isinstance(upload, UploadFile):
        raise HTTPException(422, "请选择录音文件（表单字段 file）/ multipart field 'file' is missing")
    target, size = into / audio.scratch_name(upload.filename), 0
    try:
        with target.open("wb") as out:
            while chunk := await upload.read(_CHUNK):
                size += len(chunk)
                if size > audio.MAX_UPLOAD_BYTES:
                    raise HTTPException(413, f"文件太大，最大 {audio.MAX_UPLOAD_BYTES // 2**20} MB / file too large")
                out.write(chunk)
    finally:
        await form.close()
    return target, (note if isinstance(note, str) else "")[:200]


@router.put("/api/prompts/{name}/recording", openapi_extra=UPLOAD_BODY)
async def upload_recording(name: Name, request: Request, runtime: RuntimeDep, redis: RedisDep,
                           user: AdminUser) -> dict:
    """Replace prompt `name` with a recording (multipart field `file`; converted to 8 kHz mono). Refused with
    the reason (422: too short, too long, silent, unreadable; 413: too large) and nothing changed."""
    with tempfile.TemporaryDirectory(prefix="hotline-upload-") as tmp:
        recording, note = await _read_upload(request, FilePath(tmp))
        try:
            return await _service(runtime).upload(name, recording, actor_of(user, request), note)
        except PromptError as exc:
            raise _refused(exc) from None


@router.post("/api/prompts/{name}/tts")
async def synthesise(name: Name, body: TtsRequest, request: Request, runtime: RuntimeDep, user: AdminUser) -> dict:
    """Re-synthesise prompt `name` from `text` with the built-in Mandarin TTS (espeak-ng)."""
    try:
        return await _service(runtime).synthesise(name, body.text, actor_of(user, request), body.note)
    except PromptError as exc:
        raise _refused(exc) from None


@router.post("/api/prompts/{name}/reset")
async def reset(name: Name, request: Request, runtime: RuntimeDep, user: AdminUser,
                body: ResetRequest | None = None) -> dict:
    """Back to the default prompt (the file it replaced, or prompts.yaml's text synthesised)."""
    try:
        return await _service(runtime).reset(name, actor_of(user, request), body.note if body else "")
    except PromptError as exc:
        raise _refused(exc) from None
