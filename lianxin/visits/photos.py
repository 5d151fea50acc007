"""Visit photos as they are stored: decoded by Pillow, turned upright, re-encoded as a JPEG of
bounded size with no metadata at all — EXIF (camera, time, GPS position), XMP and ICC profiles
stay behind in the upload, which is never stored."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from lianxin.core.errors import Refused

# An upload larger than this is refused before it is decoded (a phone photo is 2–6 MB).
MAX_UPLOAD_BYTES = 12 * 1024 * 1024
# Pixels decoded at most: a small file claiming a huge canvas (a decompression bomb) is refused
# from its header, before Pillow allocates it.
MAX_PIXELS = 50_000_000
# The stored photo's longer side: enough to read a document held up to the camera.
MAX_SIDE = 2048
JPEG_QUALITY = 85
NOT_AN_IMAGE = "只能上传照片（JPEG、PNG、WebP 等图片文件），该文件无法识别为图片"


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    width: int
    height: int


def clean_photo(upload: Any) -> CleanPhoto:
    """The upload (a Django UploadedFile or any file object) as a clean JPEG, or Refused."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise Refused(
            f"照片不能超过{MAX_UPLOAD_BYTES // (1024 * 1024)}MB（现为{size / 1048576:.1f}MB）",
            field="image",
        )
    raw = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise Refused(f"照片不能超过{MAX_UPLOAD_BYTES // (1024 * 1024)}MB", field="image")
    if not raw:
        raise Refused("照片文件是空的", field="image")
    try:
        with Image.open(BytesIO(raw)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise Refused("照片的像素过大，无法处理，请缩小后再上传", field="image")
            probe.verify()
        opened = Image.open(BytesIO(raw))
        opened.load()
        # The camera's orientation tag is applied to the pixels before every tag is dropped.
        image: Image.Image = ImageOps.exif_transpose(opened).convert("RGB")
    except Refused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Refused(NOT_AN_IMAGE, field="image") from None
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    # Nothing of the upload's metadata may ride along into the saved file.
    image.info = {}
    out = BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return CleanPhoto(data=out.getvalue(), width=image.width, height=image.height)
