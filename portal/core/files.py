"""Checking uploaded files: the name cleaned, the type known by its content, the size bounded.

Every module that takes files from users (session materials, nomination evidence) checks them
here and stores them with `core.uploads` (encrypted, outside the web root). A file's extension
is only a claim: the bytes must begin as that type does. Images can also be opened and saved
again by Pillow, which drops what a camera writes into them (EXIF: the place it was taken, the
device, the time) and refuses a file that is not really an image.
"""

import io
from dataclasses import dataclass
from pathlib import PurePath

from PIL import Image, UnidentifiedImageError

from portal.core.exceptions import ValidationError
from portal.core.text import clean_filename

# Extension -> (MIME type, how the file must begin). Office files are ZIP containers.
TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
ALIASES = {"jpeg": "jpg"}
TYPE_NAMES = {"pdf": "PDF", "docx": "Word（docx）", "xlsx": "Excel（xlsx）", "pptx": "PowerPoint（pptx）",
              "jpg": "JPG", "png": "PNG"}
IMAGES = {"jpg": "JPEG", "png": "PNG"}
MAX_PIXELS = 40_000_000  # a larger "image" is a decompression bomb, not a photo


@dataclass(frozen=True)
class Upload:
    """One uploaded file as a form hands it to a service: its name as the user had it, and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: its cleaned name, extension and (possibly re-encoded) bytes."""

    name: str
    extension: str
    data: bytes

    @property
    def mime_type(self):
        """The MIME type its extension stands for."""
        return TYPES[self.extension][0]


def extension_of(name):
    """The lower-case extension of a file name, aliases folded (jpeg -> jpg); '' without one."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return ALIASES.get(extension, extension)


def check(upload, *, allowed, max_bytes, field, strip_images=False):
    """One upload (a werkzeug FileStorage-like object with .filename and .data) checked; ValidationError if not.

    `allowed` names the extensions accepted; with `strip_images`, a JPG or PNG is decoded and
    saved again without its metadata (and refused if it does not decode).
    """
    name = clean_filename(PurePath((upload.filename or "").replace("\\", "/")).name)
    extension = extension_of(name)
    if extension not in allowed:
        kinds = "、".join(TYPE_NAMES[e] for e in allowed)
        raise ValidationError(f"“{name}”的类型不允许：只能上传 {kinds} 文件", field=field)
    data = upload.data or b""
    if not data:
        raise ValidationError(f"“{name}”是空文件", field=field)
    if len(data) > max_bytes:
        raise ValidationError(f"“{name}”超过 {max_bytes // (1024 * 1024)} MB，请压缩后再上传", field=field)
    if not data.startswith(TYPES[extension][1]):
        raise ValidationError(f"“{name}”的内容与扩展名不符，请上传真实的 {extension.upper()} 文件", field=field)
    if strip_images and extension in IMAGES:
        data = _without_metadata(data, extension, name, field)
    return CheckedFile(name=name, extension=extension, data=data)


def _without_metadata(data, extension, name, field):
    """The image decoded and encoded again: pixels kept (turned upright), EXIF and other metadata gone."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(f"“{name}”的像素过大，请缩小后再上传", field=field)
            image.load()
            upright = _upright(image)
            if IMAGES[extension] == "JPEG" and upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            out = io.BytesIO()
            upright.save(out, format=IMAGES[extension], **({"quality": 90} if extension == "jpg" else {}))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(f"“{name}”无法作为图片打开，请上传真实的 {extension.upper()} 图片", field=field) from None
    return out.getvalue()


def _upright(image):
    """The image turned as its EXIF orientation says, so dropping the EXIF does not tip it over."""
    from PIL import ImageOps

    return ImageOps.exif_transpose(image) or image
