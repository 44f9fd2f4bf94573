"""Uploads are recognised by their content, never by their name; names are made safe."""

import io
import zipfile
from datetime import date

import pytest

from members.documents.rules import (
    DOCX,
    JPEG,
    MAX_UPLOAD_BYTES,
    PDF,
    PNG,
    UploadRejected,
    check_upload,
    detect_type,
    safe_filename,
)

TODAY = date(2026, 3, 2)


def office_zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX_BYTES = office_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def test_pdf_images_and_office_files_are_recognised_by_their_first_bytes():
    assert detect_type(b"%PDF-1.7\n...") is PDF
    assert detect_type(b"\x89PNG\r\n\x1a\n....") is PNG
    assert detect_type(b"\xff\xd8\xff\xe0....") is JPEG
    assert detect_type(DOCX_BYTES) is DOCX
    assert detect_type(office_zip({"mimetype": b"application/vnd.oasis.opendocument.text"})).extensions == {"odt"}


def test_executables_scripts_plain_zips_and_macro_documents_are_not_recognised():
    assert detect_type(b"MZ\x90\x00 executable") is None
    assert detect_type(b"<html><script>alert(1)</script>") is None
    assert detect_type(office_zip({"readme.txt": b"x"})) is None
    assert (
        detect_type(office_zip({"[Content_Types].xml": b"", "word/document.xml": b"", "word/vbaProject.bin": b"macro"}))
        is None
    )
    assert detect_type(b"PK\x03\x04 not really a zip") is None


def test_a_valid_upload_keeps_its_safe_name_and_takes_the_name_as_title_when_none_given():
    upload = check_upload({"kind": "duerp", "title": ""}, "C:\\Users\\x\\DUERP 2026.pdf", b"%PDF-1.4 ...", TODAY)
    assert (upload.filename, upload.title, upload.file_type, upload.issued_on) == (
        "DUERP 2026.pdf",
        "DUERP 2026.pdf",
        PDF,
        TODAY,
    )


def test_a_file_whose_content_does_not_match_its_extension_is_refused_with_the_reason():
    with pytest.raises(UploadRejected) as refused:
        check_upload({"kind": "duerp"}, "duerp.pdf", b"\x89PNG\r\n\x1a\n....", TODAY)
    assert refused.value.errors["file"] == (
        "Le contenu du fichier (image PNG) ne correspond pas à son extension « .pdf »."
    )


def test_too_large_forbidden_or_missing_files_and_an_unknown_kind_get_french_messages():
    with pytest.raises(UploadRejected) as large:
        check_upload({"kind": "autre"}, "big.pdf", b"%PDF-" + b"0" * MAX_UPLOAD_BYTES, TODAY)
    assert large.value.errors == {"file": "Le fichier dépasse la taille maximale de 10 Mo."}
    with pytest.raises(UploadRejected) as forbidden:
        check_upload({"kind": "autre"}, "setup.exe", b"MZ\x90\x00", TODAY)
    assert "n'est pas accepté" in forbidden.value.errors["file"]
    with pytest.raises(UploadRejected) as missing:
        check_upload({"kind": "virus"}, None, None, TODAY)
    assert set(missing.value.errors) == {"kind", "file"}


def test_file_names_lose_their_path_and_quoting_characters():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename('évaluation "risques";.docx') == "évaluation risques.docx"
    assert safe_filename("") == "document"
    assert safe_filename(".pdf") == "pdf"
