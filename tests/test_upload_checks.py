"""Uploads are judged by more than their first bytes. A PDF must parse as a PDF and a
file may carry no web page or script code (polyglots); an old Office file (OLE2) must hold the
stream of the type its name claims. Refused: 400 with a Dutch reason, nothing stored."""

import struct
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casework.models import CaseEvent, Document
from tests.flowkit import signal

pytestmark = pytest.mark.django_db

NO_MATCH = "De inhoud van het bestand past niet bij de naam"
NOT_A_PDF = "Deze pdf is niet te lezen als pdf (beschadigd, of geen echte pdf)."
ACTIVE = "Het bestand bevat code van een webpagina of script en wordt niet geaccepteerd."


def minimal_pdf(*, extra_object: bytes = b"") -> bytes:
    """A real one-page PDF: header, objects, cross-reference table, trailer, startxref, %%EOF."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    if extra_object:
        objects.append(extra_object)
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def compound_file(*stream_names: str, stream_bytes: int = 4096) -> bytes:
    """A minimal OLE2 compound file (v3, 512-byte sectors) holding the named streams, each in the
    regular FAT (stream_bytes >= 4096, so no mini stream). Up to 3 streams (one directory sector)."""
    assert len(stream_names) <= 3 and stream_bytes % 512 == 0 and stream_bytes >= 4096
    per_stream = stream_bytes // 512
    fat = [FATSECT, END]
    starts = []
    for _ in stream_names:
        first = len(fat)
        starts.append(first)
        fat += [first + i + 1 for i in range(per_stream - 1)] + [END]
    fat += [FREE] * (128 - len(fat))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", FREE) * 108

    def entry(name, kind, start, size, child=NOSTREAM, right=NOSTREAM):
        encoded = (name + "\0").encode("utf-16-le")
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", NOSTREAM, right, child) + bytes(16 + 4 + 16)
                + struct.pack("<IQ", start, size))

    entries = [entry("Root Entry", 5, END, 0, child=1 if stream_names else NOSTREAM)]
    for index, (name, start) in enumerate(zip(stream_names, starts, strict=True), start=1):
        entries.append(entry(name, 2, start, stream_bytes, right=index + 1 if index < len(stream_names) else NOSTREAM))
    directory = b"".join(entries).ljust(512, b"\0")
    data = b"".join(bytes([65 + i]) * stream_bytes for i in range(len(stream_names)))
    return header + struct.pack("<128I", *fat) + directory + data


@pytest.fixture
def case(api, demo, u):
    return signal(api, u["aoj"], demo["schools"]["vo"])


def upload(api, user, case, name, content):
    return api(user).post(f"/api/cases/{case.pk}/documents/",
                          {"file": SimpleUploadedFile(name, content), "kind": "plan"}, format="multipart")


def assert_refused(response, message, root: Path):
    assert response.status_code == 400, response.content
    assert message in response.json()["file"][0]
    assert not Document.objects.exists()
    assert not CaseEvent.objects.filter(kind="document_uploaded").exists()
    assert not (root.exists() and [path for path in root.rglob("*") if path.is_file()])


def test_a_real_pdf_is_accepted(api, case, u):
    assert upload(api, u["aoj"], case, "plan.pdf", minimal_pdf()).status_code == 201


@pytest.mark.parametrize("content", [
    b"%PDF-1.4\n%%EOF\n",  # a header and a trailer, nothing in between
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",  # no xref/startxref
    b"%PDF-1.7\n" + b"\x00\x01garbage" * 500 + b"\nstartxref\n9\n%%EOF\n",  # a trailer pointing nowhere
    minimal_pdf()[:-60],  # cut off: no %%EOF
])
def test_what_does_not_parse_as_pdf_is_refused(api, case, u, _documents_in_tmp, content):
    assert_refused(upload(api, u["aoj"], case, "rapport.pdf", content), NOT_A_PDF, _documents_in_tmp)


@pytest.mark.parametrize("content", [
    minimal_pdf() + b"<html><body><script>alert(document.cookie)</script></body></html>\n",  # appended page
    minimal_pdf(extra_object=b"<< /Comment (<!DOCTYPE html><p>hi</p>) >>"),  # inside, small file
    minimal_pdf(extra_object=b"<< /URI (JavaScript:alert(1)) >>"),  # any case
    minimal_pdf(extra_object=b"<< /Pad (" + b"x" * 2_000_000 + b") >>") + b"<SCRIPT>run()</SCRIPT>",  # large: tail
])
def test_a_pdf_with_web_page_or_script_code_is_refused(api, case, u, _documents_in_tmp, content):
    assert_refused(upload(api, u["aoj"], case, "polyglot.pdf", content), ACTIVE, _documents_in_tmp)


def test_a_png_with_a_web_page_behind_it_is_refused(api, case, u, _documents_in_tmp):
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
           b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
    assert_refused(upload(api, u["aoj"], case, "foto.png", png + b"<html><script>x()</script>"), ACTIVE,
                   _documents_in_tmp)


def test_old_office_files_only_of_the_claimed_type(api, case, u):
    assert upload(api, u["aoj"], case, "verslag.doc", compound_file("WordDocument", "1Table")).status_code == 201
    assert upload(api, u["aoj"], case, "lijst.xls", compound_file("Workbook")).status_code == 201
    assert upload(api, u["aoj"], case, "oud.xls", compound_file("Book")).status_code == 201  # Excel 5/95


@pytest.mark.parametrize("name, content", [
    ("verslag.doc", compound_file("Workbook")),  # a spreadsheet renamed .doc
    ("lijst.xls", compound_file("WordDocument")),  # a Word file renamed .xls
    ("verslag.doc", compound_file("PowerPoint Document")),
    ("verslag.doc", compound_file("Contents")),  # some other OLE2 file (an .msi, a .msg ...)
    ("verslag.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),  # the signature, no directory
])
def test_ole2_files_of_another_type_are_refused(api, case, u, _documents_in_tmp, name, content):
    assert_refused(upload(api, u["aoj"], case, name, content), NO_MATCH, _documents_in_tmp)


def test_the_web_form_shows_the_reason(client, case, u, _documents_in_tmp):
    client.force_login(u["aoj"])
    response = client.post(f"/cases/{case.pk}/documents/",
                           {"file": SimpleUploadedFile("polyglot.pdf", minimal_pdf() + b"<script>x()</script>"),
                            "kind": "plan"})
    assert response.status_code == 400
    assert ACTIVE in response.content.decode()
    assert not Document.objects.exists()
