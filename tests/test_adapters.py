"""read_page: one adapter per site template, clean main text, page metadata, and bad input."""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from pathlib import Path

import pytest
from pdfmaker import make_pdf

from pipeline.model import Capture
from pipeline.parse.adapters import PageError, read_page
from pipeline.parse.adapters.base import label_values

PAGES = Path(__file__).parent / "fixtures" / "pages"
CORPUS = Path(__file__).parent / "fixtures" / "corpus"
FURNITURE = ("分享到", "打印本页", "关闭窗口", "ICP备", "公网安备", "版权所有", "首页", "当前位置", "您现在的位置")


def capture(url: str = "", content_type: str = "text/html", final_url: str = "") -> Capture:
    return Capture(sha256="0" * 64, path="x", url=url, final_url=final_url, content_type=content_type)


def read_fixture(name: str, **kwargs: str):
    return read_page((PAGES / name).read_bytes(), capture(**kwargs))


def assert_clean(text: str) -> None:
    for word in FURNITURE:
        assert word not in text, word
    assert "\n\n" not in text and "  " not in text and "\u3000" not in text


# ---------------------------------------------------------------- NFCMS (a real page)


def test_nfcms_real_page_fields_and_clean_text():
    page = read_fixture(
        "nfcms-sz-gov-cn-post-12212437.html", url="https://www.sz.gov.cn/zfgb/2025/gb1374/content/post_12212437.html"
    )
    assert page.adapter == "nfcms"
    assert page.title == "深圳市2024年国民经济和社会发展统计公报"
    assert page.published_date == "2025-06-04"
    assert page.publisher == "深圳市统计局 国家统计局深圳调查队"
    assert page.site_name == "深圳市人民政府门户网站"
    assert "2024年深圳地区生产总值36801.87亿元，比上年增长5.8%。" in page.text
    assert page.text.splitlines()[-1].startswith("资料来源：")
    assert "一、综合" in page.text.splitlines()
    assert_clean(page.text)
    for leak in ("热门搜索", "无障碍浏览", "转载来源", "下载、打印", "字体", "政府网站找错", "名 称"):
        assert leak not in page.text, leak
    assert page.tables == [] and page.attachments == []


# ---------------------------------------------------------------- text captures


def test_text_capture_with_page_furniture():
    page = read_page((CORPUS / "futian-2024.txt").read_bytes(), capture(content_type="text/plain"))
    assert page.adapter == "text"
    assert page.title == "福田区人民政府2024年法治政府建设年度报告"
    assert page.published_date == "2025-02-12"
    assert page.publisher == "福田区政府办公室"
    assert page.index_number == "/2025-11998829"
    lines = page.text.splitlines()
    assert lines[0].startswith("2024年,福田区坚持以习近平新时代中国特色社会主义思想为指导")
    assert lines[1] == "一、主要工作成效"
    assert lines[-1].startswith("(四)持续提升重大行政决策")
    assert page.title not in page.text
    assert "信息提供日期" not in page.text
    assert_clean(page.text)


def test_body_only_text_capture_keeps_every_line():
    raw = (CORPUS / "guangming-2021.txt").read_text(encoding="utf-8")
    page = read_page(raw.encode("utf-8"), capture(content_type=""))
    assert page.adapter == "text"
    assert page.title == "" and page.published_date == ""
    lines = page.text.splitlines()
    assert lines[0] == "现将有关情况报告如下："
    assert lines[-2:] == ["深圳市光明区人民政府", "2022年1月5日"]
    assert len(lines) == len([line for line in raw.splitlines() if line.strip()])


def test_text_capture_from_another_site_layout():
    raw = (
        "当前位置：首页 ＞ 政务公开 ＞ 法治政府建设\n"
        "某某省司法厅2023年度法治政府建设情况报告\n"
        "发布时间：2024年3月29日 10:00　信息来源：某某省司法厅　浏览次数：312\n"
        "\n"
        "　　2023年，省司法厅坚持以习近平法治思想为指导，全面履行法治建设职责，推动各项工作取得新成效。\n"
        "　　一、主要成效\n"
        "　　全年审查地方性法规草案和政府规章草案37件，备案审查规范性文件1,052件。\n"
        "【打印本页】【关闭窗口】\n"
        "相关链接：\n"
        "某某省司法厅2022年度法治政府建设情况报告\n"
        "主办单位：某某省司法厅 技术支持：某某公司\n"
    )
    page = read_page(raw.encode("gbk"), capture(content_type="text/plain"))
    assert page.title == "某某省司法厅2023年度法治政府建设情况报告"
    assert page.published_date == "2024-03-29"
    assert page.publisher == "某某省司法厅"
    assert page.text.splitlines() == [
        "2023年，省司法厅坚持以习近平法治思想为指导，全面履行法治建设职责，推动各项工作取得新成效。",
        "一、主要成效",
        "全年审查地方性法规草案和政府规章草案37件，备案审查规范性文件1,052件。",
    ]


# ---------------------------------------------------------------- gkmlpt


def test_gkmlpt_detail_gives_body_fields_tables_and_attachments():
    page = read_fixture(
        "gkmlpt-content.html", url="https://www.example.gov.cn/gkmlpt/content/4/4123/post_4123456.html"
    )
    assert page.adapter == "gkmlpt"
    assert page.title == "某某县人民政府2023年法治政府建设年度报告"
    assert page.published_date == "2024-03-26"
    assert page.publisher == "某某县人民政府办公室"
    assert page.index_number == "007211234/2024-00031"
    assert "全年办理行政复议案件215件，同比增长18.1%，直接纠错率为9.3%。" in page.text
    assert "基层执法人员法治素养仍需提升，规范化建设有待加强。" in page.text  # source line break inside <p>
    assert_clean(page.text)
    assert "索引号" not in page.text
    assert [t.rows for t in page.tables] == [
        [["类别", "案件数（件）", "案件数（件）"], ["类别", "2022年", "2023年"],
         ["行政复议", "182", "215"], ["行政诉讼", "64", "58"]]
    ]
    assert "182" not in page.text
    assert page.attachments == [
        "https://www.example.gov.cn/attachment/0/512/512345/4123456.pdf",
        "https://www.example.gov.cn/attachment/0/512/512346/4123456.docx",
    ]


def test_gkmlpt_detail_written_as_object_literal():
    source = (PAGES / "gkmlpt-content.html").read_text(encoding="utf-8")
    quoted = re.search(r"DETAIL: (\".*\"),\n", source).group(1)
    source = source.replace(quoted, json.loads(quoted))
    page = read_page(source.encode("utf-8"), capture(url="https://www.example.gov.cn/gkmlpt/content/1.html"))
    assert page.adapter == "gkmlpt" and page.index_number == "007211234/2024-00031"
    assert "直接纠错率为9.3%" in page.text


def test_gkmlpt_without_detail_reads_rendered_page_and_info_table():
    source = (PAGES / "gkmlpt-content.html").read_text(encoding="utf-8")
    source = re.sub(r"DETAIL: \".*\",\n", "", source).replace(
        '<div class="article-content"></div>',
        '<div class="article-content"><p>2023年，本县法治政府建设取得新成效，全年组织执法培训46场次，'
        "参训人员2300人次。</p></div>",
    )
    page = read_page(source.encode("utf-8"), capture(url="https://www.example.gov.cn/gkmlpt/content/1.html"))
    assert page.adapter == "gkmlpt"
    assert page.index_number == "007211234/2024-00031"
    assert page.publisher == "某某县人民政府办公室"
    assert page.published_date == "2024-03-26"  # 发布日期 outranks 成文日期
    assert page.text == "2023年，本县法治政府建设取得新成效，全年组织执法培训46场次，参训人员2300人次。"


# ---------------------------------------------------------------- TRS


def test_trs_gbk_page_with_meta_charset_only():
    page = read_fixture(
        "trs-gbk-meta-charset.html",
        url="http://www.example.gov.cn/xxgk/202403/t20240328_555555.html",
        final_url="https://www.example.gov.cn/xxgk/fzzf/202403/t20240328_555555.html",
    )
    assert page.adapter == "trs"
    assert page.title == "某某市司法局2023年法治政府建设情况报告"
    assert page.published_date == "2024-03-28"
    assert page.publisher == "某某市司法局"
    assert page.index_number == "11450100MB1234567X/2024-00123"
    assert page.site_name == "某某市人民政府"
    assert page.text.splitlines()[0].startswith("2023年，市司法局坚持以习近平法治思想为指导")
    assert "组织“八五”普法宣传活动320余场次，覆盖群众约15万人次。" in page.text
    assert_clean(page.text)
    for leak in ("相关链接", "2022年法治政府建设情况报告", "font-size", "微信"):
        assert leak not in page.text, leak
    assert page.attachments == ["https://www.example.gov.cn/xxgk/fzzf/202403/P020240328555555.pdf"]


def test_trs_gbk_page_with_no_meta_at_all():
    page = read_fixture("trs-gbk-no-meta.html", content_type="")
    assert page.adapter == "trs"
    assert page.title == "某某区2022年度法治政府建设工作报告"
    assert page.published_date == "2023-03-15"
    assert page.publisher == "某某区司法局"
    assert page.text.splitlines() == [
        "2022年，我区深入学习贯彻习近平法治思想，扎实推进法治政府建设，取得了明显成效。",
        "一、加强组织领导。区政府常务会议专题研究法治政府建设工作6次，制定年度工作要点。",
        "二、严格规范公正文明执法。全区办理行政处罚案件3452件，罚没金额2310.5万元。",
        "三、存在的问题。部分单位对法治政府建设重视程度还不够高。",
    ]


def test_table_of_numbers_goes_to_tables_with_merged_cells_expanded():
    page = read_fixture("table-of-numbers.html")
    assert page.adapter == "trs"
    assert len(page.tables) == 1
    assert page.tables[0].rows == [
        ["指标", "完成情况", "完成情况", "单位"],
        ["指标", "2022年", "2023年", "单位"],
        ["行政复议案件", "1,024", "1,187", "件"],
        ["行政诉讼败诉率", "6.8", "5.2", "%"],
        ["规范性文件备案审查", "356", "402", "件"],
    ]
    assert "1,187" not in page.text and "行政诉讼败诉率" not in page.text
    assert page.text.splitlines() == [
        "2023年全市法治政府建设主要指标完成情况见下表，各项指标均达到年度目标要求。",
        "下一步，全市将持续巩固提升各项指标，推动法治政府建设高质量发展。",
    ]


def test_layout_table_of_prose_stays_in_text():
    html = (
        '<html><head><meta charset="utf-8"><title>报告</title></head><body><div class="TRS_Editor"><table>'
        "<tr><td><p>一、全年审查规范性文件128件，纠正违法或者不当条款17处，有效维护了法制统一。</p>"
        "<p>二、全年办理行政复议案件96件，依法纠错11件，行政复议纠错率为11.5%。</p></td></tr>"
        "</table></div></body></html>"
    )
    page = read_page(html.encode("utf-8"), capture())
    assert page.tables == []
    assert page.text.splitlines()[1] == "二、全年办理行政复议案件96件，依法纠错11件，行政复议纠错率为11.5%。"


def test_stub_page_linking_to_attachment_is_a_page():
    html = (
        '<html><head><meta charset="utf-8"><title>某某县2023年法治政府建设年度报告</title></head><body>'
        '<div class="TRS_Editor"><p>附件：<a href="files/report2023.pdf">报告全文</a></p></div></body></html>'
    )
    page = read_page(html.encode("utf-8"), capture(url="http://www.example.gov.cn/zwgk/t20240301_1.html"))
    assert page.attachments == ["http://www.example.gov.cn/zwgk/files/report2023.pdf"]
    assert page.text == "附件：报告全文"
    assert page.title == "某某县2023年法治政府建设年度报告"


# ---------------------------------------------------------------- generic


def test_generic_site_uses_main_text_extraction():
    page = read_fixture("generic-unknown-site.html", url="https://www.example-county.gov.cn/open/2024/03/r.html")
    assert page.adapter == "generic"
    assert page.title == "某某自治县2023年法治政府建设年度报告"
    assert page.published_date == "2024-03-22"
    assert page.publisher == "某某自治县司法局"
    lines = page.text.splitlines()
    assert lines[0].startswith("2023年，县人民政府坚持以习近平新时代中国特色社会主义思想为指导")
    assert "二、规范重大行政决策。全年对27项重大行政决策事项进行合法性审查，组织听证会4场，公开征求意见15次。" in lines
    assert_clean(page.text)
    for leak in ("新闻中心", "相关阅读", "2022年法治政府建设年度报告", "主办单位", "发布时间", "微博"):
        assert leak not in page.text, leak
    assert page.attachments == []  # the sidebar's PDF belongs to another report


# ---------------------------------------------------------------- PDF and DOCX


def test_pdf_text_layer_with_wrapped_lines_rejoined():
    data = make_pdf([
        "某某县2023年法治政府建设年度报告",
        "一、主要工作成效",
        "全年办理行政复议案件215件，同比增长18.1%，直接纠",
        "错率为9.3%，行政机关负责人出庭应诉率达到100%。",
        "二、存在的问题",
        "- 1 -",
    ])
    page = read_page(data, capture(content_type="application/pdf"))
    assert page.adapter == "pdf"
    assert page.title == "某某县2023年法治政府建设年度报告"
    assert page.text.splitlines() == [
        "某某县2023年法治政府建设年度报告",
        "一、主要工作成效",
        "全年办理行政复议案件215件，同比增长18.1%，直接纠错率为9.3%，行政机关负责人出庭应诉率达到100%。",
        "二、存在的问题",
    ]


def test_pdf_without_text_layer_is_a_page_error():
    with pytest.raises(PageError, match="no text layer"):
        read_page(make_pdf([]), capture(content_type="application/pdf"))


def test_corrupt_pdf_is_a_page_error():
    with pytest.raises(PageError):
        read_page(b"%PDF-1.7\n1 0 obj <<< garbage" + bytes(200), capture())


def _docx(body_xml: str) -> bytes:
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f"<w:document {ns}><w:body>{body_xml}</w:body></w:document>")
    return buffer.getvalue()


def test_docx_paragraphs_and_merged_table_cells():
    def p(text: str) -> str:
        return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"

    def tc(text: str, span: int = 1) -> str:
        props = f'<w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>' if span > 1 else ""
        return f"<w:tc>{props}{p(text)}</w:tc>"

    table = f"<w:tbl><w:tr>{tc('指标')}{tc('数量', 2)}</w:tr><w:tr>{tc('复议')}{tc('215')}{tc('件')}</w:tr></w:tbl>"
    data = _docx(p("某某县2023年法治政府建设年度报告") + p("全年办理行政复议案件215件，同比增长18.1%。") + table)
    page = read_page(data, capture())
    assert page.adapter == "docx"
    assert page.title == "某某县2023年法治政府建设年度报告"
    assert page.text.splitlines()[1] == "全年办理行政复议案件215件，同比增长18.1%。"
    assert page.tables[0].rows == [["指标", "数量", "数量"], ["复议", "215", "件"]]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("data", [b"", b"   \r\n\t "])
def test_empty_capture(data: bytes):
    with pytest.raises(PageError, match="empty"):
        read_page(data, capture())


def test_random_binary():
    data = random.Random(7).randbytes(20000)
    with pytest.raises(PageError, match="binary"):
        read_page(data, capture(content_type="text/html"))


@pytest.mark.parametrize("magic", [b"\x89PNG\r\n\x1a\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"])
def test_images_and_legacy_office_files(magic: bytes):
    with pytest.raises(PageError, match="binary data"):
        read_page(magic + bytes(500), capture())


def test_truncated_html_cut_mid_tag_keeps_what_arrived():
    data = (PAGES / "trs-gbk-no-meta.html").read_bytes()
    cut = data[: data.index("三、存在的问题".encode("gbk")) - 8]  # inside '<p>' of the last paragraph
    page = read_page(cut, capture(url="http://www.example.gov.cn/t20230315_1.html"))
    assert page.adapter == "trs"
    assert page.text.splitlines()[-1].startswith("二、严格规范公正文明执法。全区办理行政处罚案件3452件")
    assert [(c.check, c.severity) for c in page.checks] == [("capture_truncated", "warning")]
    assert page.checks[0].message.startswith("http://www.example.gov.cn/t20230315_1.html: ")


def test_gbk_page_mislabelled_utf8_in_meta():
    data = (PAGES / "trs-gbk-no-meta.html").read_bytes().replace(b"<head>", b'<head><meta charset="utf-8">')
    page = read_page(data, capture(url="http://a.gov.cn/1.html", content_type="text/html; charset=utf-8"))
    assert page.title == "某某区2022年度法治政府建设工作报告"
    assert "罚没金额2310.5万元" in page.text
    assert "\ufffd" not in page.text
    assert [(c.check, c.severity) for c in page.checks] == [("charset_mislabelled", "warning")]
    assert "http://a.gov.cn/1.html" in page.checks[0].message and "gb18030" in page.checks[0].message


def test_well_formed_pages_carry_no_checks():
    for name in ("trs-gbk-no-meta.html", "trs-gbk-meta-charset.html", "table-of-numbers.html",
                 "generic-unknown-site.html", "gkmlpt-content.html"):
        assert read_fixture(name).checks == [], name


def test_fifty_megabyte_page_of_padding_after_the_body():
    head = (PAGES / "trs-gbk-no-meta.html").read_bytes().decode("gbk")
    pad = '<div class="pad"><a href="/x">链接</a></div>' * (50 * 1024 * 1024 // 45)
    data = head.replace('<div id="bottom">', pad + '<div id="bottom">').encode("utf-8")
    del pad
    assert len(data) > 50 * 1024 * 1024
    page = read_page(data, capture(url="http://a.gov.cn/big.html"))
    assert page.adapter == "trs"
    assert "全区办理行政处罚案件3452件" in page.text
    assert [(c.check, c.severity) for c in page.checks] == [("page_truncated", "warning")]
    assert page.checks[0].message.startswith("http://a.gov.cn/big.html: page of 5")


def test_fifty_megabyte_inline_image_before_the_text():
    head = (PAGES / "trs-gbk-no-meta.html").read_bytes().decode("gbk")
    image = '<p><img src="data:image/png;base64,' + "iVBORw0K" * (50 * 1024 * 1024 // 8) + '"></p>'
    data = head.replace('<div id="zoom">', '<div id="zoom">' + image).encode("utf-8")
    del image
    page = read_page(data, capture())
    assert page.text.splitlines()[-1] == "三、存在的问题。部分单位对法治政府建设重视程度还不够高。"
    assert page.checks == []  # the image went, nothing of the page was cut


def test_navigation_only_page_has_no_report():
    links = "".join(f'<li><a href="/n/{i}.html">某某县召开第{i}次常务会议研究部署重点工作</a><span>2024-03-0{i % 9 + 1}'
                    "</span></li>" for i in range(20))
    nav = "".join(f'<a href="/c{i}/">栏目{i}</a>' for i in range(30))
    html = f'<html><head><meta charset="utf-8"><title>某某县人民政府</title></head><body><div class="nav">{nav}</div>' \
           f'<ul class="list">{links}</ul><div class="footer">版权所有 某某县人民政府 ICP备123号</div></body></html>'
    with pytest.raises(PageError, match="no main text"):
        read_page(html.encode("utf-8"), capture())


@pytest.mark.parametrize(
    "html",
    [
        '<html><head><script>var arg1="3F1A9C";function s(){document.cookie="acw_sc__v2="+x;'
        "location.reload()}</script></head><body></body></html>",
        '<html><head><meta charset="utf-8"></head><body><script src="/c.js"></script>'
        "<script>setTimeout(function(){location.reload()},500)</script></body></html>",
    ],
)
def test_anti_bot_challenge_page(html: str):
    with pytest.raises(PageError, match="anti-bot challenge"):
        read_page(html.encode("utf-8"), capture())


def test_errors_carry_a_reason():
    with pytest.raises(PageError) as caught:
        read_page(b"", capture())
    assert caught.value.reason == "empty capture"


# ---------------------------------------------------------------- info lines


def test_info_line_labels_with_spaces_and_glued_values():
    line = "索 引 号：11440300/2024-0001 分    类：综合政务 发布机构：某某区司法局 成文日期：2024年3月5日"
    assert label_values(line) == {
        "index_number": "11440300/2024-0001",
        "publisher": "某某区司法局",
        "written_date": "2024-03-05",
    }
    assert label_values("信息提供日期 : 2025-02-12 17:44来源 : 某某区政府办公室 信息索引号 : /2025-1") == {
        "published_date": "2025-02-12",
        "publisher": "某某区政府办公室",
        "index_number": "/2025-1",
    }
