"""Rules of a company's documents space: what may be uploaded (type checked by content), and the labels of
documents other services produce; no Flask, no SQLAlchemy."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from portal_common.errors import FieldErrors

from ..record.fields import clean


class DocumentSource(StrEnum):
    """Who produced a document: another service (which serves it) or the company (an upload served here)."""

    BILLING = "billing"
    SCHEDULING = "scheduling"
    UPLOAD = "upload"


MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_KINDS = {
    "duerp": "Document unique d'évaluation des risques (DUERP)",
    "fiche_poste": "Fiche de poste",
    "attestation": "Attestation",
    "justificatif_situation": "Justificatif de changement de situation",
    "autre": "Autre document",
}
# Documents learnt from other services' events, by kind.
PRODUCED_KINDS = {
    "facture": "Facture",
    "avoir": "Avoir",
    "attestation_suivi": "Attestation de suivi",
    "avis_aptitude": "Avis d'aptitude",
    "avis_inaptitude": "Avis d'inaptitude",
    "convocation": "Convocation",
}
KIND_LABELS = {**PRODUCED_KINDS, **UPLOAD_KINDS}
# A convocation whose appointment was cancelled stays listed (the employee may have printed it) but reads so.
CANCELLED_LABEL = "Annulée"
# A convocation whose visit moved: the new convocation holds, this one reads so.
REPLACED_LABEL = "Remplacée"


def status_label(cancelled_on: date | None, replaced_on: date | None = None) -> str | None:
    """« Annulée » for a cancelled appointment's convocation, « Remplacée » for one a move replaced; None for a
    document that holds."""
    if cancelled_on is not None:
        return CANCELLED_LABEL
    return REPLACED_LABEL if replaced_on is not None else None


SOURCES = {
    DocumentSource.BILLING: "Facturation",
    DocumentSource.SCHEDULING: "Rendez-vous",
    DocumentSource.UPLOAD: "Déposé par l'entreprise",
}


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    extensions: frozenset[str]


PDF = FileType("PDF", "application/pdf", frozenset({"pdf"}))
PNG = FileType("image PNG", "image/png", frozenset({"png"}))
JPEG = FileType("image JPEG", "image/jpeg", frozenset({"jpg", "jpeg"}))
GIF = FileType("image GIF", "image/gif", frozenset({"gif"}))
WEBP = FileType("image WebP", "image/webp", frozenset({"webp"}))
DOCX = FileType(
    "document Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", frozenset({"docx"})
)
XLSX = FileType(
    "classeur Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", frozenset({"xlsx"})
)
PPTX = FileType(
    "présentation PowerPoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    frozenset({"pptx"}),
)
LEGACY_OFFICE = FileType(
    "document Office (ancien format)", "application/octet-stream", frozenset({"doc", "xls", "ppt"})
)
ODF = {
    "application/vnd.oasis.opendocument.text": FileType(
        "document OpenDocument", "application/vnd.oasis.opendocument.text", frozenset({"odt"})
    ),
    "application/vnd.oasis.opendocument.spreadsheet": FileType(
        "classeur OpenDocument", "application/vnd.oasis.opendocument.spreadsheet", frozenset({"ods"})
    ),
    "application/vnd.oasis.opendocument.presentation": FileType(
        "présentation OpenDocument", "application/vnd.oasis.opendocument.presentation", frozenset({"odp"})
    ),
}
OOXML = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
ACCEPTED = "PDF, images (PNG, JPEG, GIF, WebP), Word, Excel, PowerPoint ou OpenDocument"


def _zip_type(content: bytes) -> FileType | None:
    """Office Open XML or OpenDocument, recognised by the archive's own entries; macros are refused."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                return ODF.get(archive.read("mimetype")[:100].decode("ascii", "replace").strip())
            if "[Content_Types].xml" not in names or any(n.lower().endswith("vbaproject.bin") for n in names):
                return None
    except (zipfile.BadZipFile, ValueError, KeyError, OSError):
        return None
    for prefix, found in OOXML.items():
        if any(name.startswith(prefix) for name in names):
            return found
    return None


def detect_type(content: bytes) -> FileType | None:
    """The file's real type from its first bytes (magic numbers), whatever its name or declared type."""
    head = content[:16]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return LEGACY_OFFICE
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(content)
    return None


def safe_filename(name: str) -> str:
    """The name shown and offered at download: no path, no control or quoting characters, 120 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if ch.isalnum() or ch in " ._-()").strip(" .")
    if "." in base:
        stem, _, extension = base.rpartition(".")
        return f"{stem[:110]}.{extension[:8]}" if stem else f"document.{extension[:8]}"
    return base[:120] or "document"


class UploadRejected(FieldErrors):
    """An upload the rules refuse, with the reason in French on the field."""


@dataclass(frozen=True)
class Upload:
    kind: str
    title: str
    filename: str
    file_type: FileType
    issued_on: date


def check_upload(data: dict[str, Any], filename: str | None, content: bytes | None, today: date) -> Upload:
    errors: dict[str, str] = {}
    kind = clean(data.get("kind"))
    if kind not in UPLOAD_KINDS:
        errors["kind"] = "Choisissez le type de document."
    title = clean(data.get("title"))
    if title and len(title) > 200:
        errors["title"] = "Le titre ne doit pas dépasser 200 caractères."
    file_type = None
    name = safe_filename(filename or "")
    if not content:
        errors["file"] = "Choisissez le fichier à déposer."
    elif len(content) > MAX_UPLOAD_BYTES:
        errors["file"] = "Le fichier dépasse la taille maximale de 10 Mo."
    else:
        file_type = detect_type(content)
        extension = name.rpartition(".")[2].lower() if "." in name else ""
        if file_type is None:
            errors["file"] = f"Ce type de fichier n'est pas accepté : déposez un fichier {ACCEPTED}."
        elif extension not in file_type.extensions:
            errors["file"] = (
                f"Le contenu du fichier ({file_type.label}) ne correspond pas à son extension « .{extension} »."
            )
    if errors:
        raise UploadRejected(errors)
    assert file_type is not None and kind is not None
    return Upload(kind=kind, title=title or name, filename=name, file_type=file_type, issued_on=today)


def invoice_title(number: str, kind: str) -> tuple[str, str]:
    """(kind, title) of an invoice of billing's event."""
    if kind == "avoir":
        return "avoir", f"Avoir {number}"
    return "facture", f"Facture {number}"
