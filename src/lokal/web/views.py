"""`/` answers browsers with the web UI and everything else (Ollama clients probe it) with
"Ollama is running"; `/ui/static/` serves the UI's files, all shipped in the package."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from .. import __version__
from ..errors import NotFoundError

router = APIRouter(include_in_schema=False)
HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@router.api_route("/", methods=["GET", "HEAD"])
async def root(request: Request) -> Response:
    if "text/html" not in request.headers.get("accept", ""):
        return PlainTextResponse("Ollama is running")
    page = (HERE / "templates" / "index.html").read_text().replace("{{ version }}", __version__)
    return HTMLResponse(page, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})


# model output is rendered as text by the UI; the policy is a second wall: no inline or foreign script
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


@router.get("/ui/static/{name}")
async def static(name: str) -> FileResponse:
    path = (STATIC / name).resolve()
    if path.parent != STATIC or not path.is_file():
        raise NotFoundError(f"/ui/static/{name} not found")
    return FileResponse(path, media_type=TYPES.get(path.suffix, "application/octet-stream"),
                        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
