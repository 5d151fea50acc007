"""Reading the printed PDF back: pages, fonts, text, QR codes and drawn line segments."""

from __future__ import annotations

import io

import pypdfium2
import zxingcpp
from django.urls import resolve, reverse
from pypdf import PdfReader
from pypdf.generic import ContentStream


def start_print(client, kind: str, pk: int):
    """POST the print form; the response (a redirect to the print's page when it worked)."""
    return client.post(reverse("cards:print"), {"kind": kind, "pk": pk})


def print_job_id(response) -> int:
    """The job of the print a POST started, from its redirect."""
    assert response.status_code == 302, response.content[:500]
    match = resolve(response["Location"])
    assert match.view_name == "cards:print_job", response["Location"]
    return match.kwargs["pk"]


def download(client, kind: str, pk: int):
    """Print through the pages (the job runs inline in tests): POST the form, follow it to the
    print's page, take its download link. The POST's response when it did not start a print."""
    response = start_print(client, kind, pk)
    if response.status_code != 302 or "/cards/prints/" not in response["Location"]:
        return response
    job_id = print_job_id(response)
    page = client.get(response["Location"])
    link = reverse("cards:print_download", args=[job_id])
    assert page.status_code == 200 and link in page.content.decode(), page.content[-2000:]
    return client.get(link)


def pdf_bytes(response) -> bytes:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def fonts(data: bytes) -> list[dict]:
    """Every font on every page (a composite font through its descendants), with the keys of
    its font descriptor: an embedded font has /FontFile, /FontFile2 or /FontFile3 there."""
    found = []
    for page in reader(data).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for face in [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]:
                descriptor = face.get("/FontDescriptor")
                found.append(
                    {
                        "name": str(face["/BaseFont"]),
                        "descriptor": set(descriptor.get_object().keys()) if descriptor else set(),
                    }
                )
    return found


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in reader(data).pages]


def qr_codes(data: bytes, page: int = 0, scale: float = 3) -> list[str]:
    """The QR codes on a page, decoded from a rendering of it (as a phone camera would)."""
    document = pypdfium2.PdfDocument(data)
    image = document[page].render(scale=scale).to_pil()
    return [code.text for code in zxingcpp.read_barcodes(image)]


def line_segments(data: bytes, page: int = 0) -> list[tuple[float, float, float, float]]:
    """Stroked straight segments ("x y m x y l") drawn on a page, in page coordinates."""
    pdf = reader(data)
    content = ContentStream(pdf.pages[page].get_contents(), pdf)
    segments = []
    start = None
    for operands, operator in content.operations:
        if operator == b"m":
            start = tuple(float(v) for v in operands)
        elif operator == b"l" and start is not None:
            end = tuple(float(v) for v in operands)
            segments.append((*start, *end))
            start = end
        elif operator == b"cm" and [float(v) for v in operands] != [1, 0, 0, 1, 0, 0]:
            raise AssertionError("cards are drawn without transforms; a transform appeared")
    return segments
