"""Images in prompts, for models with a vision projector.

The template renders the conversation with a one-off sentinel where each message's images go
(before its text, as Ollama places them); the rendered prompt is then cut at the sentinels into
text and image parts, which the engine turns into its media markers and image embeddings.
Images arrive as base64 (Ollama's `images`, data URLs, Anthropic's base64 blocks) and are
checked here: decodable, a known format, at most `MAX_IMAGE_BYTES` each and `MAX_IMAGES` a request.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from typing import Any

from ..errors import BadRequestError

MAX_IMAGES = 16
MAX_IMAGE_BYTES = 20 * 2**20
_FORMATS = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
            (b"BM", "image/bmp"))


def media_type(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _FORMATS if data.startswith(magic)), None)


def check_image(encoded: str, where: str) -> str:
    """The image as a data URL, or a 400 saying what is wrong with it."""
    if not isinstance(encoded, str):
        raise BadRequestError(f"{where} must be a base64 string")
    if len(encoded) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise BadRequestError(f"{where} is over {MAX_IMAGE_BYTES // 2**20} MiB")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequestError(f"{where} is not valid base64") from None
    kind = media_type(data)
    if kind is None:
        raise BadRequestError(f"{where} is not a PNG, JPEG, GIF, WebP or BMP image")
    return f"data:{kind};base64,{encoded}"


def mark_images(messages: list[dict[str, Any]], sentinel: str) -> list[dict[str, Any]]:
    """The messages with a sentinel per image before their text; each keeps its checked images
    (as data URLs) under `_images`, so turns dropped to fit the context take theirs along."""
    marked = []
    count = 0
    for number, message in enumerate(messages):
        pictures = message.get("images") or []
        if not pictures:
            marked.append(message)
            continue
        count += len(pictures)
        urls = [check_image(picture, f"messages.{number}.images.{index}") for index, picture in enumerate(pictures)]
        marked.append({**message, "content": sentinel * len(pictures) + (message.get("content") or ""), "_images": urls})
    if count > MAX_IMAGES:
        raise BadRequestError(f"the conversation holds {count} images; at most {MAX_IMAGES} per request")
    return marked


def new_sentinel() -> str:
    return f"<lokal-image-{secrets.token_hex(8)}>"


def images_of(messages: list[dict[str, Any]]) -> list[str]:
    return [url for message in messages for url in message.get("_images", [])]


def image_parts(prompt: str, images: list[str], sentinel: str) -> list[dict[str, Any]]:
    """The rendered prompt as text and image parts, in order."""
    pieces = prompt.split(sentinel)
    if len(pieces) != len(images) + 1:
        raise BadRequestError("the chat template dropped or repeated an image: it cannot show this conversation")
    parts: list[dict[str, Any]] = []
    for number, text in enumerate(pieces):
        if text:
            parts.append({"type": "text", "text": text})
        if number < len(images):
            parts.append({"type": "image_url", "image_url": {"url": images[number]}})
    return parts


def strip_data_url(url: str, where: str) -> str:
    """The base64 of a `data:image/…;base64,` URL; other URLs are refused (lokal fetches nothing)."""
    found = re.fullmatch(r"data:image/[\w.+-]+;base64,(.*)", url, re.S)
    if found is None:
        raise BadRequestError(f"{where}: images must be inline data: URLs (data:image/png;base64,…); "
                              "lokal fetches no URLs")
    return found.group(1)
