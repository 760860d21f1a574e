"""What an uploaded file is, read from its bytes, never from its name or the browser's word.

A PDF starts `%PDF-` and must open as one (its pages are counted); a PNG and a JPEG start with
their signatures. Anything else — a script or an HTML page renamed `.pdf`, an office file, an
executable — is refused, and so is a PDF that carries JavaScript or launch actions, or that is
encrypted (a reviewer could not open it).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from tracker.errors import InputError
from tracker.packages.attachments import CONTENT_TYPES

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
_ACTIVE_PDF = (b"/JavaScript", b"/JS ", b"/JS(", b"/JS<", b"/Launch")
ACCEPTED = ", ".join(CONTENT_TYPES.values())


@dataclass(frozen=True)
class FileContent:
    content_type: str
    pages: int | None


def read_content(content: bytes, file_name: str) -> FileContent:
    """The file's type and, for a PDF, its page count; InputError("file", ...) naming what is
    wrong and what to do otherwise."""
    shown = file_name or "the file"
    if not content:
        raise InputError("file", f"{shown} is empty; choose the document's file again")
    content_type = next((kind for signature, kind in _SIGNATURES
                         if content.startswith(signature)), None)
    if content_type is None:
        raise InputError("file", f"{shown} is not a {ACCEPTED} file (its content says "
                         f"otherwise, whatever its name); save or scan the document as PDF and "
                         "upload that")
    if content_type != "application/pdf":
        return FileContent(content_type, None)
    if any(marker in content for marker in _ACTIVE_PDF):
        raise InputError("file", f"{shown} is a PDF with scripts or launch actions in it; print "
                         "it to a new PDF (or scan it) and upload that")
    return FileContent(content_type, _pdf_pages(content, shown))


def _pdf_pages(content: bytes, shown: str) -> int:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise InputError("file", f"{shown} is a password-protected PDF; save it without the "
                             "password and upload it again")
        pages = len(reader.pages)
    except InputError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        raise InputError("file", f"{shown} starts like a PDF but cannot be read as one "
                         "(damaged or cut short?); save it again as PDF and upload that") from None
    if pages == 0:
        raise InputError("file", f"{shown} is a PDF without pages; upload the document itself")
    return pages
