"""Text of scanned PDFs by OCR, with RapidOCR (the optional extra `[ocr]`: rapidocr-onnxruntime, which ships
its models in the wheel, so nothing is downloaded at run time). The page images are taken from the PDF as
embedded (a scan is one image per page), so no PDF renderer is needed."""

from __future__ import annotations

import importlib.util
import io
from functools import lru_cache
from typing import Any

from pypdf import PdfReader

ENGINE = "RapidOCR"
MAX_PAGES = 100
MIN_SCORE = 0.5  # RapidOCR's confidence below which a text box is dropped


def available() -> bool:
    """True when the [ocr] extra is installed."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


@lru_cache(maxsize=1)
def _engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def _image_lines(image: Any) -> list[str]:
    """Lines of one page image: boxes grouped by their vertical centre, left to right within a line."""
    import numpy

    result, _ = _engine()(numpy.asarray(image.convert("RGB")))
    boxes = []
    for box, text, score in result or []:
        if float(score) >= MIN_SCORE and text.strip():
            ys = [p[1] for p in box]
            boxes.append(((min(ys) + max(ys)) / 2, min(p[0] for p in box), max(ys) - min(ys), text.strip()))
    lines: list[list[tuple[float, float, float, str]]] = []
    for box in sorted(boxes):
        if lines and box[0] - lines[-1][0][0] < 0.5 * max(box[2], lines[-1][0][2]):
            lines[-1].append(box)
        else:
            lines.append([box])
    return ["".join(b[3] for b in sorted(line, key=lambda b: b[1])) for line in lines]


def pdf_lines(data: bytes) -> list[str]:
    """The OCR'd lines of every page of a scanned PDF, page after page."""
    reader = PdfReader(io.BytesIO(data))
    lines: list[str] = []
    for page in reader.pages[:MAX_PAGES]:
        for image in page.images:
            lines.extend(_image_lines(image.image))
    return lines
