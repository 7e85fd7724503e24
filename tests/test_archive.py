"""The raw archive keeps bytes as received, content-addressed, with provenance beside them."""

import hashlib
import json

import pytest

from pipeline.fetch.archive import Archive, extension_for


def test_store_keeps_bytes_and_writes_provenance(tmp_path):
    body = "福田区法治政府建设年度报告".encode("gb18030")
    capture = Archive(tmp_path).store(body, url="http://a.gov.cn/t.html", content_type="text/html; charset=gbk",
                                      encoding="gb18030")
    sha = hashlib.sha256(body).hexdigest()
    assert capture.sha256 == sha
    assert (tmp_path / capture.path).read_bytes() == body
    sidecar = json.loads((tmp_path / (capture.path + ".json")).read_text(encoding="utf-8"))
    assert sidecar["url"] == "http://a.gov.cn/t.html" and sidecar["sha256"] == sha and sidecar["fetched_at"]


def test_new_capture_never_erases_an_earlier_one(tmp_path):
    archive = Archive(tmp_path)
    first = archive.store(b"<html>v1</html>", url="http://a.gov.cn/p.html", content_type="text/html")
    second = archive.store(b"<html>v2</html>", url="http://a.gov.cn/p.html", content_type="text/html")
    assert (tmp_path / first.path).read_bytes() == b"<html>v1</html>"
    assert [c.sha256 for c in archive.latest_captures()] == [second.sha256]
    assert len(archive.rows()) == 2


def test_failures_are_recorded_but_not_captures(tmp_path):
    archive = Archive(tmp_path)
    archive.record_failure("http://a.gov.cn/x.html", status=412, error="anti-bot challenge page")
    assert archive.rows()[0]["error"] == "anti-bot challenge page"
    assert archive.latest_captures() == []
    assert "http://a.gov.cn/x.html" not in archive.latest_rows()


def test_captures_without_url_are_kept_apart(tmp_path):
    archive = Archive(tmp_path)
    archive.store(b"one", content_type="text/plain", source="saved by hand")
    archive.store(b"two", content_type="text/plain", source="saved by hand")
    assert len(archive.latest_captures()) == 2


def test_unknown_manifest_field_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown manifest fields"):
        Archive(tmp_path).store(b"x", url="http://a.gov.cn/", colour="red")


@pytest.mark.parametrize(("content_type", "url", "ext"), [
    ("text/html; charset=utf-8", "", "html"),
    ("application/octet-stream", "http://a.gov.cn/f/report.PDF", "pdf"),
    ("", "http://a.gov.cn/x?id=1", "bin"),
])
def test_extension_for(content_type, url, ext):
    assert extension_for(content_type, url) == ext


def test_capture_without_a_kind_counts_as_a_report(tmp_path):
    Archive(tmp_path).store(b"<html>report</html>", url="http://a.gov.cn/r.html", content_type="text/html")
    assert [c.kind for c in Archive(tmp_path).latest_captures()] == ["report"]
