"""Decoding gov.cn bytes: declared charsets, lies about them, BOMs, truncation."""

from __future__ import annotations

import codecs

from pipeline.parse.encoding import canonical_encoding, decode, detect_encoding, mislabelled_charsets

PAGE = '<html><head>{meta}</head><body><p>法治政府建设年度报告：全年办理行政复议案件215件。</p></body></html>'


def test_meta_charset_gbk_without_header_is_decoded_as_gb18030():
    data = PAGE.format(meta='<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gbk")
    text, encoding = decode(data, "text/html")
    assert encoding == "gb18030"
    assert "行政复议案件215件" in text


def test_gbk_page_labelled_utf8_in_meta_is_still_read():
    data = PAGE.format(meta='<meta charset="utf-8">').encode("gbk")
    text, encoding = decode(data, "")
    assert encoding == "gb18030"
    assert "法治政府建设年度报告" in text


def test_gbk_page_with_no_declaration_is_detected():
    text, _ = decode(PAGE.format(meta="").encode("gbk"), "")
    assert "法治政府建设年度报告" in text


def test_utf8_page_labelled_gb2312_is_read_as_utf8():
    data = PAGE.format(meta='<meta charset="gb2312">').encode("utf-8")
    assert detect_encoding(data, "text/html; charset=gbk") == "utf-8"


def test_header_charset_is_used_when_it_decodes():
    data = "<p>法治政府</p>".encode("big5")
    assert decode(data, "text/html; charset=big5") == ("<p>法治政府</p>", "big5")


def test_utf8_cut_mid_character_stays_utf8():
    data = PAGE.format(meta='<meta charset="utf-8">').encode("utf-8")
    cut = data[: data.index("案件".encode()) + 1]
    text, encoding = decode(cut, "")
    assert encoding == "utf-8"
    assert text.endswith("行政复议\ufffd")


def test_declared_charset_survives_one_stray_byte():
    data = (PAGE.format(meta='<meta charset="utf-8">') * 50).encode("utf-8")
    data = data[:700] + b"\xff" + data[700:]
    text, encoding = decode(data, "")
    assert encoding == "utf-8"
    assert text.count("\ufffd") == 1


def test_bom_wins():
    assert detect_encoding(codecs.BOM_UTF8 + "报告".encode(), "text/html; charset=gbk") == "utf-8-sig"
    text, _ = decode(codecs.BOM_UTF16_LE + "报告".encode("utf-16-le"))
    assert text == "报告"


def test_canonical_encoding_widens_gb_family_and_rejects_unknown():
    assert canonical_encoding("GB2312") == "gb18030"
    assert canonical_encoding("x-gbk") == "gb18030"
    assert canonical_encoding("no-such-charset") is None


def test_undecodable_bytes_never_raise():
    text, _ = decode(bytes(range(256)) * 10, "text/html; charset=utf-8")
    assert isinstance(text, str)


def test_server_default_latin1_header_on_a_gbk_page_is_overruled():
    data = PAGE.format(meta="").encode("gbk")
    text, encoding = decode(data, "text/html; charset=ISO-8859-1")
    assert encoding == "gb18030"
    assert "行政复议案件215件" in text
    assert mislabelled_charsets(data, "text/html; charset=ISO-8859-1", encoding) == ["ISO-8859-1"]


def test_latin1_header_on_western_text_is_kept():
    data = "<p>Café résumé naïve</p>".encode("latin-1")
    assert detect_encoding(data, "text/html; charset=iso-8859-1") == "iso8859-1"


def test_mislabelled_charsets_names_the_labels_that_lied():
    gbk_as_utf8 = PAGE.format(meta='<meta charset="utf-8">').encode("gbk")
    _, used = decode(gbk_as_utf8, "text/html; charset=UTF-8")
    assert mislabelled_charsets(gbk_as_utf8, "text/html; charset=UTF-8", used) == ["UTF-8"]
    utf8_as_gbk = PAGE.format(meta='<meta charset="gb2312">').encode("utf-8")
    assert mislabelled_charsets(utf8_as_gbk, "", "utf-8") == ["gb2312"]


def test_honest_or_missing_labels_are_not_mislabelled():
    gbk = PAGE.format(meta='<meta charset="gb2312">').encode("gbk")
    assert mislabelled_charsets(gbk, "text/html; charset=GBK", decode(gbk, "")[1]) == []
    assert mislabelled_charsets(PAGE.format(meta="").encode("utf-8"), "text/html", "utf-8") == []
    assert mislabelled_charsets(codecs.BOM_UTF8 + b"<p>x</p>", "text/html; charset=utf-8", "utf-8-sig") == []
    assert mislabelled_charsets(b'<meta charset="no-such">', "", "utf-8") == []
