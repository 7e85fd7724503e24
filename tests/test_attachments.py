"""Attachments read by what they are: spreadsheets, OFD, legacy Word/WPS, scanned PDFs (OCR)."""

import io
import subprocess
import zipfile
from pathlib import Path

import pytest
from docmaker import make_doc
from openpyxl import Workbook

from pipeline.model import Capture
from pipeline.parse.adapters import PageError, doc, ocr, read_page
from pipeline.parse.filetype import disposition_filename, document_type, sniff

FIXTURES = Path(__file__).parent / "fixtures" / "attachments"


def capture(url: str = "http://www.example.gov.cn/cms/pub/interact/downloadfile.jsp?filepath=a") -> Capture:
    return Capture(url=url, sha256="0" * 64, path="captures/00/x.bin", content_type="application/octet-stream")


def xlsx_bytes() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "行政复议"
    for row in (["某区2024年行政复议案件统计表"], ["项目", "2023年", "2024年"], ["收案数（件）", 98, 120.0],
                [None, None], ["纠错数（件）", 7, 11]):
        sheet.append(row)
    book.create_sheet("说明").append(["数据截至2024年12月31日"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def word_ole_bytes() -> bytes:
    """An OLE file whose one stream is named WordDocument (the xls fixture with its stream renamed): what a
    .doc or .wps looks like to a sniffer, though no converter can read its text."""
    data = bytearray((FIXTURES / "cases.xls").read_bytes())
    old = "Workbook".encode("utf-16-le") + b"\0\0"
    at = data.index(old)
    new = "WordDocument".encode("utf-16-le") + b"\0\0"
    data[at:at + 64] = new.ljust(64, b"\0")
    data[at + 64:at + 66] = len(new).to_bytes(2, "little")
    return bytes(data)


# --- what a file is ------------------------------------------------------------------------------------------


def test_files_are_classified_by_their_bytes_then_filename_then_type_then_url():
    xlsx = xlsx_bytes()
    assert sniff(xlsx) == "xlsx" and sniff((FIXTURES / "cases.xls").read_bytes()) == "xls"
    assert sniff(word_ole_bytes()) == "doc" and sniff(b"%PDF-1.4 ...") == "pdf" and sniff(b"<html>") == ""
    # a download link without an extension, labelled octet-stream
    assert document_type(xlsx, "application/octet-stream", "", "http://x.gov.cn/downloadfile.jsp?id=1") == "xlsx"
    # a Word file named .wps is a WPS document; bytes that say nothing leave it to the filename
    named = "attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.wps"
    assert disposition_filename(named) == "报告.wps"
    assert document_type(word_ole_bytes(), "application/octet-stream", named) == "wps"
    assert document_type(b"\x00\x01unknown", "application/octet-stream", 'attachment; filename="a.ofd"') == "ofd"
    assert document_type(b"\x00\x01", "application/msword", "", "http://x.gov.cn/f") == "doc"
    # a page is a page, whatever its URL says
    assert document_type(b"<html><p>404</p></html>", "text/html", "", "http://x.gov.cn/report.doc") == ""


# --- spreadsheets --------------------------------------------------------------------------------------------


def test_xlsx_sheets_become_tables_and_their_lone_lines_text():
    page = read_page(xlsx_bytes(), capture())
    assert page.adapter == "xlsx"
    assert [t.rows for t in page.tables] == [
        [["某区2024年行政复议案件统计表"], ["项目", "2023年", "2024年"], ["收案数（件）", "98", "120"],
         ["纠错数（件）", "7", "11"]],
        [["数据截至2024年12月31日"]],
    ]
    assert page.text.splitlines() == ["某区2024年行政复议案件统计表", "数据截至2024年12月31日"]
    assert page.title == "某区2024年行政复议案件统计表"


def test_xls_is_read_with_dates_as_dates():
    page = read_page((FIXTURES / "cases.xls").read_bytes(), capture())
    assert page.adapter == "xls"
    assert page.tables[0].rows[2] == ["收案数（件）", "98", "120"]
    assert page.tables[0].rows[-1] == ["填报日期", "2025-03-20"]


def test_a_broken_workbook_is_a_page_error():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook")
    with pytest.raises(PageError, match="unreadable xlsx"):
        read_page(out.getvalue(), capture())


# --- OFD -----------------------------------------------------------------------------------------------------

OFD_NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def text_object(x: float, y: float, text: str) -> str:
    return (f'<ofd:TextObject ID="1" Boundary="{x} {y} 150 6" Font="2" Size="4.2">'
            f'<ofd:TextCode X="0" Y="4">{text}</ofd:TextCode></ofd:TextObject>')


def ofd_bytes(pages: list[list[str]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("OFD.xml", f'<ofd:OFD {OFD_NS} Version="1.1"><ofd:DocBody><ofd:DocInfo/>'
                              f'<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        entries = "".join(f'<ofd:Page ID="{n}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(len(pages)))
        z.writestr("Doc_0/Document.xml", f"<ofd:Document {OFD_NS}><ofd:Pages>{entries}</ofd:Pages></ofd:Document>")
        for n, objects in enumerate(pages):
            z.writestr(f"Doc_0/Pages/Page_{n}/Content.xml",
                       f"<ofd:Page {OFD_NS}><ofd:Content><ofd:Layer ID='9'>{''.join(objects)}"
                       "</ofd:Layer></ofd:Content></ofd:Page>")
    return out.getvalue()


def test_ofd_text_is_read_page_by_page_in_reading_order():
    first = [text_object(60, 50, "一、主要工作成效"), text_object(30, 30, "某区2024年法治政府建设年度报告"),
             # one line written as two text objects, the right one first
             text_object(80, 70, "同比增长18.1%。"), text_object(30, 70, "全年办理行政复议案件120件，")]
    second = [text_object(30, 30, "二、存在的问题")]
    page = read_page(ofd_bytes([first, second]), capture())
    assert page.adapter == "ofd"
    assert page.text.splitlines() == ["某区2024年法治政府建设年度报告", "一、主要工作成效",
                                      "全年办理行政复议案件120件，同比增长18.1%。", "二、存在的问题"]
    assert page.title == "某区2024年法治政府建设年度报告"


def test_an_ofd_without_text_is_a_page_error():
    with pytest.raises(PageError, match="ofd has no text"):
        read_page(ofd_bytes([[]]), capture())


# --- legacy Word / WPS ---------------------------------------------------------------------------------------

DOC_PARAGRAPHS = ["某区2024年法治政府建设年度报告", "一、主要工作成效",
                  "全年办理行政复议案件120件，详见\x13 HYPERLINK \"http://x.gov.cn/a\" \x14附表\x15。",
                  "二、存在的问题"]


def test_a_word_97_file_is_read_from_its_piece_table_without_any_converter(monkeypatch):
    monkeypatch.setattr(doc.shutil, "which", lambda name: None)
    for url in ("http://x.gov.cn/files/report.doc", "http://x.gov.cn/files/report.wps"):
        page = read_page(make_doc(DOC_PARAGRAPHS), capture(url))
        assert page.adapter == "doc" and page.title == "某区2024年法治政府建设年度报告"
        assert page.text.splitlines() == ["某区2024年法治政府建设年度报告", "一、主要工作成效",
                                          "全年办理行政复议案件120件，详见附表。", "二、存在的问题"]


def test_a_word_file_it_cannot_read_without_a_converter_is_a_clear_page_error(monkeypatch):
    monkeypatch.setattr(doc.shutil, "which", lambda name: None)
    with pytest.raises(PageError, match=r"legacy Word/WPS \(\.wps\) file that cannot be read here "
                                        r"\(not a Word 97-2003 document\): install antiword"):
        read_page(word_ole_bytes(), capture("http://x.gov.cn/files/report.wps"))


def test_what_the_piece_table_reader_cannot_read_goes_to_the_converter(monkeypatch):
    commands = []

    def converter_run(command: list[str]) -> subprocess.CompletedProcess:
        commands.append(command)
        if len(commands) == 1:
            return subprocess.CompletedProcess(command, -11, b"", b"")
        return subprocess.CompletedProcess(command, 0, "\n".join(DOC_PARAGRAPHS[:2] * 2).encode(), b"")

    monkeypatch.setattr(doc, "converter", lambda: "antiword")
    monkeypatch.setattr(doc, "_run", converter_run)
    with pytest.raises(PageError, match="antiword could not read this wps file: no text"):
        read_page(word_ole_bytes(), capture("http://x.gov.cn/files/report.wps"))
    page = read_page(word_ole_bytes(), capture("http://x.gov.cn/files/report.wps"))
    assert page.adapter == "doc" and page.text.splitlines()[:2] == DOC_PARAGRAPHS[:2]
    assert commands[-1][:5] == ["antiword", "-m", "UTF-8.txt", "-w", "0"] and commands[-1][5].endswith(".wps")


# --- scanned PDFs --------------------------------------------------------------------------------------------

SCANNED_LINES = ["Administrative reconsideration cases 120", "Court appearance rate 100 percent",
                 "Normative documents reviewed 35"]


def scanned_pdf() -> bytes:
    """A PDF of one page that is only an image of printed lines, as a scanner makes it."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1400, 400), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=44)
    for n, line in enumerate(SCANNED_LINES):
        draw.text((40, 40 + 110 * n), line, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=150)
    return out.getvalue()


@pytest.mark.skipif(not ocr.available(), reason="the [ocr] extra (rapidocr-onnxruntime) is not installed")
def test_a_scanned_pdf_is_read_by_ocr_with_a_warning():
    page = read_page(scanned_pdf(), capture())
    assert page.adapter == "pdf"
    words = page.text.replace(" ", "").lower()
    for expected in ("reconsideration", "cases120", "appearance", "documents", "35"):
        assert expected in words, page.text
    assert [c.check for c in page.checks] == ["text_from_ocr"]


def test_a_scanned_pdf_without_the_ocr_extra_is_a_page_error_saying_so(monkeypatch):
    monkeypatch.setattr(ocr, "available", lambda: False)
    with pytest.raises(PageError, match=r"no text layer.*install the \[ocr\] extra"):
        read_page(scanned_pdf(), capture())
