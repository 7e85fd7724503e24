"""Rules every adapter shares: parsing HTML safely, block-aware text, tables, labels, furniture lines."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from lxml import etree, html

from pipeline.model import Page, Table


class PageError(Exception):
    """The capture holds no report: empty, binary, no main text, or an anti-bot challenge."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- page metadata


@dataclass
class Meta:
    """Metadata gathered from several places; the first value found for a field wins."""

    title: str = ""
    published_date: str = ""
    publisher: str = ""
    index_number: str = ""
    site_name: str = ""
    written_date: str = ""  # 成文日期: used only when no publication date is found
    sources: list[str] = field(default_factory=list)

    def add(self, **values: str) -> None:
        """Fill the fields still empty; later, weaker sources never overwrite earlier ones."""
        for name, value in values.items():
            if value and not getattr(self, name):
                setattr(self, name, value)

    def date(self) -> str:
        """The publication date, or the written date when the page shows no other."""
        return self.published_date or self.written_date


_DATE = re.compile(r"((?:19|20)\d{2})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})")
_COMPACT_DATE = re.compile(r"\b((?:19|20)\d{2})(\d{2})(\d{2})\b")


def normalize_date(value: str) -> str:
    """YYYY-MM-DD from the first date written in `value` (2025-02-12, 2025/2/12, 2025年2月12日); or ""."""
    match = _DATE.search(value or "") or _COMPACT_DATE.search(value or "")
    if not match:
        return ""
    try:
        return dt.date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return ""


def date_from_timestamp(value: float) -> str:
    """YYYY-MM-DD in China time from a Unix timestamp in seconds or milliseconds."""
    seconds = value / 1000 if value > 1e11 else value
    try:
        moment = dt.datetime.fromtimestamp(seconds, tz=dt.timezone(dt.timedelta(hours=8)))
    except (OverflowError, OSError, ValueError):
        return ""
    return moment.date().isoformat() if 1990 <= moment.year <= 2100 else ""


# Labels of gov.cn info lines and tables. Each maps to a Meta field or to "" (a label we only need so the
# value before it ends in the right place). Longer labels first, so 信息来源 wins over 来源.
_LABELS: dict[str, str] = {
    "信息提供日期": "published_date",
    "发布日期": "published_date",
    "发布时间": "published_date",
    "公开日期": "published_date",
    "公开时间": "published_date",
    "发文日期": "published_date",
    "日期": "published_date",
    "时间": "published_date",
    "成文日期": "written_date",
    "印发日期": "written_date",
    "生成日期": "written_date",
    "公文生成日期": "written_date",
    "更新时间": "written_date",  # a date the page shows, used only when it shows no better one
    "更新日期": "written_date",
    "信息索引号": "index_number",
    "索引号": "index_number",
    "信息来源": "publisher",
    "发布机构": "publisher",
    "发文机关": "publisher",
    "发文单位": "publisher",
    "发文机构": "publisher",
    "公开单位": "publisher",
    "信息提供单位": "publisher",
    "发布单位": "publisher",
    "文章来源": "publisher",
    "来源": "publisher",
    "转载来源": "",
    "主题分类": "",
    "组配分类": "",
    "体裁分类": "",
    "分类": "",
    "主题": "",
    "文件名称": "title",
    "名称": "title",
    "标题": "title",
    "公文种类": "",
    "公开方式": "",
    "公开范围": "",
    "发文字号": "",
    "文件编号": "",
    "统一编号": "",
    "文号": "",
    "主题词": "",
    "关键词": "",
    "有效性": "",
    "时效": "",
    "浏览次数": "",
    "访问次数": "",
    "阅读次数": "",
    "点击数": "",
    "点击率": "",
    "作者": "",
    "责任编辑": "",
    "编辑": "",
    "字体": "",
    "字号": "",
}
_LABEL_ORDER = sorted(_LABELS, key=len, reverse=True)
_LABEL_ALTERNATIVES = "|".join(r"[ \t\u3000]*".join(map(re.escape, label)) for label in _LABEL_ORDER)
# a label ends in a colon; without one (a table cell written out as text: "发布机构 XX 发布日期 2018-05-31") it must
# start the line or follow a space, bar or bullet, and be followed by a space or bar, so prose never matches
_LABEL_RE = re.compile(
    rf"(?:({_LABEL_ALTERNATIVES})[ \t\u3000]*[:：]"
    rf"|(?:^|(?<=[\s|｜•·\-]))({_LABEL_ALTERNATIVES})(?=[ \t\u3000]*[|｜]|[ \t\u3000]+\S))"
)
_VALUE_JUNK = " \t|｜【】[]（）()•·-—"


def _label_key(raw: str) -> str:
    return re.sub(r"\s+", "", raw)


def label_values(line: str) -> dict[str, str]:
    """Meta fields read off an info line: 信息提供日期 : 2025-02-12来源 : XX 信息索引号 : /2025-1."""
    found: dict[str, str] = {}
    matches = list(_LABEL_RE.finditer(line))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[match.end() : end].strip(_VALUE_JUNK)
        name = _LABELS.get(_label_key(match.group(1) or match.group(2)), "")
        if not name or not value or name in found:
            continue
        if name in ("published_date", "written_date"):
            value = normalize_date(value)
        elif name == "index_number":
            value = value.split()[0]
        elif name == "title":
            value = clean_title(value)
        else:
            value = re.sub(r"\s+", " ", value)[:100]
        if value:
            found[name] = value
    return found


def is_info_line(line: str) -> bool:
    """True for a short line made of labelled fields (发布时间：… 来源：…), not report prose."""
    if len(line) > 160:
        return False
    matches = list(_LABEL_RE.finditer(line))
    if not matches:
        return False
    return matches[0].start() <= 2 or len(matches) >= 2


def join_label_lines(lines: list[str]) -> list[str]:
    """Lines where a label left without its value ("名    称 :" then the value on the next line, as an info
    table reads once written out as text) is joined to the short line that follows."""
    out: list[str] = []
    for line in lines:
        if out and _ends_with_empty_label(out[-1]) and len(line) <= 100 and not _PROSE_END.search(line):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


_PROSE_END = re.compile(r"[。；！？]$")


def _ends_with_empty_label(line: str) -> bool:
    """A line ending in a label without its value: "名 称 :", "发文机关：", or a label alone (<dt>发布机构</dt>)."""
    if _label_key(line.strip(_VALUE_JUNK + ":：")) in _LABELS:
        return True
    matches = list(_LABEL_RE.finditer(line))
    return bool(matches) and len(line) <= 120 and not line[matches[-1].end():].strip(_VALUE_JUNK)




# ---------------------------------------------------------------- titles

_YEAR_WORD = re.compile(r"(?:19|20)\d{2}\s*年|[〇零一二三四五六七八九]{4}年")
_TOPIC = re.compile(r"法治政府|依法行政|法治建设|法治.{0,6}建设")
_TITLE_END = re.compile(r"(?:报告|情况|总结|汇报)(?:[（(][^）)]{1,20}[）)])?$")
_NOT_TITLE = re.compile(r"星期|今天是|当前位置|您的位置|首页|网站|门户|ICP|版权|[>＞|｜]|[，,。；：:！？]"
                        r"|^\d{4}\s*[-/.]|^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,2}[、.．])")
_COLUMN_TAG = re.compile(r"^\s*[【\[［][^】\]］]{1,20}[】\]］]\s*")
_ISSUER_END = re.compile(r"(?:政府|委员会|局|厅|委|办公室|街道|办事处|管委会|党组)$")
_ISSUED = re.compile(r"^(?:关于|(?:19|20)\d{2}\s*年)")  # a title's body after its issuer's name
_CONTINUES = re.compile(r"^(?:建设|工作|情况|年度|报告)")
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff\d])\s+(?=[\u4e00-\u9fff\d])")


def clean_title(title: str) -> str:
    """A title without a leading column tag (【法治建设报告】), a label (标 题), a site-name suffix or stray spaces."""
    title = normalize_line(_COLUMN_TAG.sub("", title or ""))
    title = re.sub(r"^(?:标[ \t\u3000]*题|名[ \t\u3000]*称|文件名称)[ \t\u3000]*[:：]?\s*", "", title)
    title = re.split(r"\s*(?:--|——|_|\||｜|\s-\s)\s*", title)[0]
    return _CJK_GAP.sub("", title).strip(" \u3000《》")


def title_score(line: str) -> int:
    """How much a line looks like a report title: a year, the topic (法治政府, 依法行政), a title's ending
    (报告, 情况); date banners, site names, breadcrumbs, column names and prose score below TITLE_MIN."""
    if not 6 <= len(line) <= 90 or _NOT_TITLE.search(line):
        return 0
    return (3 * bool(_YEAR_WORD.search(line)) + 3 * bool(_TOPIC.search(line)) + 2 * bool(_TITLE_END.search(line))
            + bool("报告" in line))


TITLE_MIN = 6  # the topic and a year, or the topic and a report's ending


def title_candidates(lines: list[str]) -> list[str]:
    """Titles the top lines state: each line, cleaned, and a title broken over two lines joined (太康县人民政府 /
    关于2023年法治政府建设情况的报告) when the first names the issuer or the second cannot stand alone."""
    cleaned = [clean_title(line) for line in lines]
    found: list[str] = []
    for i, line in enumerate(cleaned):
        nxt = cleaned[i + 1] if i + 1 < len(cleaned) else ""
        if (nxt and nxt != line and not _TITLE_END.search(line) and _TITLE_END.search(nxt) and len(line) <= 40
                and (_ISSUER_END.search(line) and _ISSUED.match(nxt) or _CONTINUES.match(nxt))
                and title_score(line + nxt) >= TITLE_MIN):
            found.append(line + nxt)
        found.append(line)
    return found


def pick_title(candidates: Iterable[str]) -> str:
    """The candidate that looks most like a report title (the first among equals); "" when none does."""
    scored = [(title_score(c), -i, c) for i, c in enumerate(candidates) if c]
    best = max(scored, default=(0, 0, ""))
    return best[2] if best[0] >= TITLE_MIN else ""


_BARE_DATE = re.compile(r"^[•·\-\s]*(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?"
                        r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
                        r"(?:\s+\S{1,20})?$")
_STALE_DATE = re.compile(r"星期|礼拜|今天|今日")


def is_date_line(line: str) -> bool:
    """A line holding only a date (and a time or a short source), the way pages print their publication date
    under the title; a site's date banner (2019年12月3日星期二) is not one."""
    return bool(_BARE_DATE.match(line)) and not _STALE_DATE.search(line)


# ---------------------------------------------------------------- site identity

_SITE_CODE = re.compile(r"(?:网站标识码|网站识别码)\s*[:：]?\s*(\d{10})|公网安备\s*(\d{14})"
                        r"|公安备案号?\s*[:：]?\s*(\d{14})")


_SITE_OWNER = re.compile(r"主办(?:单位)?\s*[:：]\s*([\u4e00-\u9fff（）()]{4,30}?)"
                         r"(?=\s|$|[|｜,，;；]|承办|技术|协办|地址)")


def site_owner(text: str) -> str:
    """Who runs the site, from its footer (主办单位：某某县人民政府办公室); "" if the page does not say."""
    match = _SITE_OWNER.search(text or "")
    return match.group(1) if match else ""


def site_code(text: str) -> str:
    """The six-digit division code that begins a page's 政府网站标识码 (4403040003) or 公安备案号
    (44030402002541): the code of the government that runs the site; "" if the page shows neither."""
    match = _SITE_CODE.search(text or "")
    return next((g[:6] for g in match.groups() if g), "") if match else ""


# ---------------------------------------------------------------- furniture lines

_SPACE = re.compile(r"[\s\u3000\xa0\u200b\u200c\u200d\ufeff]+")
_CJK = r"[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]"
_SOURCE_BREAK = re.compile(rf"(?<={_CJK})[ \t\r\f\v\u3000\xa0]*\n\s*(?={_CJK})")

_BUTTON_WORDS = (
    r"打印本页|打印|关闭窗口|关闭本页|关闭|返回顶部|返回|收藏本页|加入收藏|收藏|我要纠错|纠错|下载、打印|"
    r"字体[:：]?\s*[大中小\s]*|字号[:：]?\s*[大中小\s]*|[大中小]|默认|保存|TOP|top"
)
_BUTTONS = re.compile(rf"^(?:[【\[［(（]?\s*(?:{_BUTTON_WORDS})\s*[】\]］)）]?\s*[|｜/]?\s*)+$")
_FOOTER = re.compile(
    r"ICP备|ICP证|公网安备|网站标识码|网站识别码|政府网站标识码|"
    r"^(?:版权所有|Copyright|©|主办单位|主办[:：]|承办单位|承办[:：]|协办|技术支持|运维单位|联系我们|网站地图|"
    r"建议使用|最佳浏览|浏览次数|访问次数|阅读次数|点击数|扫一扫|微信扫一扫|用手机扫|手机扫描)",
    re.I,
)
_BREADCRUMB = re.compile(
    r"^(?:当前位置|您现在的位置|您的位置|您当前的位置|所在位置|现在位置)\s*[:：]|^首页\s*[>＞»›→/]"
)
_TAIL = re.compile(
    r"^[【\[]?\s*(?:分享到|分享至|相关链接|相关阅读|相关文章|相关新闻|相关信息|相关推荐|相关文件|相关稿件|"
    r"上一篇|下一篇|上一条|下一条|打印本页|关闭窗口|扫一扫)"
)


def normalize_line(line: str) -> str:
    """One line with every run of whitespace (full-width, nbsp, zero-width) as a single space, trimmed."""
    return _SPACE.sub(" ", line).strip()


def is_breadcrumb(line: str) -> bool:
    """首页 > 政务公开 > … or 当前位置：… lines."""
    if _BREADCRUMB.search(line):
        return True
    return len(line) < 100 and "。" not in line and len(re.findall(r"\s[>＞»›]\s|>>", f" {line} ")) >= 2


def is_furniture(line: str) -> bool:
    """Buttons, footers, ICP lines, breadcrumbs and hit counters: page furniture, never report text."""
    return bool(_BUTTONS.match(line) or _FOOTER.search(line) or is_breadcrumb(line))


def is_tail_marker(line: str) -> bool:
    """A short line after which a page holds only furniture: 分享到, 上一篇, 相关链接 …"""
    return len(line) <= 40 and bool(_TAIL.match(line))


def clean_lines(lines: Iterable[str]) -> list[str]:
    """Normalised, non-empty lines with furniture dropped and everything after a tail marker cut."""
    kept: list[str] = []
    for raw in lines:
        line = normalize_line(raw)
        if not line:
            continue
        if is_tail_marker(line):
            if any(len(k) >= 40 for k in kept):
                break
            continue
        if is_furniture(line):
            continue
        kept.append(line)
    return kept


# ---------------------------------------------------------------- HTML

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_PARSER = html.HTMLParser(remove_comments=True, remove_pis=True, recover=True)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "select", "button",
              "input", "textarea", "svg", "canvas", "map")
_HTML_BLOCKS = """p div br h1 h2 h3 h4 h5 h6 li ul ol dl dt dd tr table thead tbody tfoot section article
blockquote pre center hr header footer address figure figcaption caption form aside nav main"""
_TRAFILATURA_BLOCKS = "head item list quote lb row code"
BLOCK_TAGS = frozenset(re.split(r"\s+", f"{_HTML_BLOCKS} {_TRAFILATURA_BLOCKS}"))
CELL_TAGS = frozenset(("td", "th", "cell"))


def parse_html(text: str) -> html.HtmlElement:
    """The document tree; raises PageError when nothing parseable is left."""
    text = _XML_DECL.sub("", text, count=1)
    try:
        root = html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise PageError(f"unparseable HTML: {exc}") from exc
    if root is None:
        raise PageError("unparseable HTML: empty document")
    return root


def drop_non_content(element: html.HtmlElement) -> None:
    """Remove scripts, styles, form controls and hidden blocks (their tail text stays)."""
    for bad in element.xpath(
        ".//" + " | .//".join(_DROP_TAGS) + " | .//*[contains(translate(@style,' ',''),'display:none')]"
    ):
        if bad is not element and bad.getparent() is not None:
            bad.drop_tree()


def _text_of_node(text: str | None) -> str:
    if not text:
        return ""
    return _SOURCE_BREAK.sub("", text)


def element_lines(element: html.HtmlElement, max_nodes: int = 0) -> list[str]:
    """The element's visible text as lines, one per block element (a table row is one line, its cells
    spaced); source line breaks inside a paragraph are layout and vanish between Chinese characters.
    With `max_nodes`, only that many elements are read (for scans of a whole, maybe huge, page)."""
    parts: list[str] = []
    hidden = 0  # depth inside scripts, styles and the like
    for seen, (event, node) in enumerate(etree.iterwalk(element, events=("start", "end"))):
        if max_nodes and seen >= 2 * max_nodes:
            break
        tag = node.tag if isinstance(node.tag, str) else ""
        if event == "start":
            hidden += tag in _DROP_TAGS
            if not hidden:
                parts.append("\n" if tag in BLOCK_TAGS else " " if tag in CELL_TAGS else "")
                parts.append(_text_of_node(node.text if tag else None))
        else:
            hidden -= tag in _DROP_TAGS
            if not hidden:
                parts.append("\n" if tag in BLOCK_TAGS else " " if tag in CELL_TAGS else "")
                if node is not element:
                    parts.append(_text_of_node(node.tail))
    return [normalize_line(line) for line in "".join(parts).split("\n") if normalize_line(line)]


def visible_text_length(root: html.HtmlElement, enough: int) -> int:
    """Characters of text a reader would see in the body (scripts and styles excluded), counted up
    to `enough`."""
    body = root.find("body")
    if body is None:
        body = root
    total = 0
    for node in body.iter():
        if isinstance(node.tag, str) and node.tag in _DROP_TAGS:
            continue
        parent = node.getparent()
        total += len((node.text or "").strip()) if isinstance(node.tag, str) else 0
        if parent is not None and not (isinstance(parent.tag, str) and parent.tag in _DROP_TAGS):
            total += len((node.tail or "").strip())
        if total >= enough:
            break
    return total


def meta_tags(root: html.HtmlElement) -> dict[str, str]:
    """<meta name=… content=…> as a dict with lower-cased names (pubDate and PubDate are one name)."""
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = normalize_line(meta.get("content") or "")
        if name and content and name not in found:
            found[name] = content
    return found


def meta_from_tags(root: html.HtmlElement) -> Meta:
    """Title, date, publisher and site name from the meta tags gov.cn CMSs write."""
    tags = meta_tags(root)
    meta = Meta()
    meta.add(
        title=tags.get("articletitle", ""),
        published_date=normalize_date(
            tags.get("pubdate") or tags.get("publishdate") or tags.get("firstpublishedtime") or ""
        ),
        publisher=tags.get("contentsource", ""),
        site_name=tags.get("sitename", ""),
    )
    return meta


def title_from_title_tag(root: html.HtmlElement) -> str:
    """The <title> text without the site-name suffix (… - 某某网, …_某某政府网站)."""
    node = root.find(".//title")
    if node is None or not (node.text or "").strip():
        return ""
    text = normalize_line(node.text_content())
    return re.split(r"\s*(?:--|——|_|\||｜|-\s)\s*", text)[0] or text


def best_title(root: html.HtmlElement, xpaths: Iterable[str]) -> str:
    """A heading that the <title> repeats (so not a logo or a column name), else the <title> itself,
    else the first heading."""
    node = root.find(".//title")
    full_title = normalize_line(node.text_content()) if node is not None else ""
    headings = [normalize_line(n.text_content()) for xpath in xpaths for n in root.xpath(xpath)]
    headings = [h for h in headings if len(h) >= 4]
    for heading in headings:
        if heading in full_title:
            return heading
    return title_from_title_tag(root) or (headings[0] if headings else "")


def first_text(root: html.HtmlElement, xpaths: Iterable[str]) -> str:
    """Text of the first element any xpath finds that holds text."""
    for xpath in xpaths:
        for node in root.xpath(xpath):
            text = normalize_line(node.text_content())
            if text:
                return text
    return ""


def meta_from_labels(lines: Iterable[str]) -> Meta:
    """Fields from every info line among `lines` (first value per field wins)."""
    meta = Meta()
    for line in join_label_lines(list(lines)):
        if is_info_line(line):
            meta.add(**label_values(line))
    return meta


def merge(*metas: Meta) -> Meta:
    """One Meta taking each field from the first source that has it."""
    out = Meta()
    for meta in metas:
        out.add(
            title=meta.title,
            published_date=meta.published_date,
            publisher=meta.publisher,
            index_number=meta.index_number,
            site_name=meta.site_name,
            written_date=meta.written_date,
        )
    return out


# ---------------------------------------------------------------- tables


def _cell_text(cell: html.HtmlElement) -> str:
    return normalize_line(" ".join(element_lines(cell)))


def _span(cell: html.HtmlElement, name: str) -> int:
    try:
        return max(1, min(int(re.sub(r"\D", "", cell.get(name) or "1") or 1), 100))
    except ValueError:
        return 1


def table_rows(table: html.HtmlElement) -> list[list[str]]:
    """Rows of cell strings with rowspan and colspan expanded into every cell they cover."""
    rows: list[list[str]] = []
    pending: dict[tuple[int, int], str] = {}  # (row, col) -> text carried down by rowspan
    own_rows = [tr for tr in table.iter("tr") if _nearest_table(tr) is table]
    for r, tr in enumerate(own_rows):
        row: list[str] = []
        col = 0
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag not in ("td", "th"):
                continue
            while (r, col) in pending:
                row.append(pending.pop((r, col)))
                col += 1
            text = _cell_text(cell)
            for c in range(_span(cell, "colspan")):
                row.append(text)
                for down in range(1, _span(cell, "rowspan")):
                    pending[(r + down, col + c)] = text
            col += _span(cell, "colspan")
        while (r, col) in pending:
            row.append(pending.pop((r, col)))
            col += 1
        if any(row):
            rows.append(row)
    return rows


def _nearest_table(node: html.HtmlElement) -> html.HtmlElement | None:
    parent = node.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def is_data_table(rows: list[list[str]]) -> bool:
    """A grid of short cells; a table that only lays out paragraphs is read as text instead."""
    if len(rows) < 2 or max(len(r) for r in rows) < 2:
        return False
    cells = [c for r in rows for c in r if c]
    long_prose = sum(1 for c in cells if len(c) > 120 and "。" in c)
    return long_prose <= len(cells) // 4


def take_tables(container: html.HtmlElement) -> list[Table]:
    """The data tables inside `container`, removed from it so their cells stay out of the text.

    Innermost tables go first, so a layout table wrapping a data table keeps its prose."""
    tables: list[Table] = []
    for table in reversed(list(container.iter("table"))):
        if table.getparent() is None or list(table.iter("table"))[1:]:
            continue
        rows = table_rows(table)
        if is_data_table(rows):
            tables.append(Table(rows=rows))
            table.drop_tree()
    tables.reverse()
    return tables


# ---------------------------------------------------------------- attachments

ATTACHMENT_EXTENSIONS = (".pdf", ".doc", ".docx", ".wps")


def is_attachment_url(url: str) -> bool:
    """True for a link to a PDF, DOC, DOCX or WPS file (query string ignored)."""
    return urlsplit(url).path.lower().endswith(ATTACHMENT_EXTENSIONS)


def base_url(root: html.HtmlElement, page_url: str) -> str:
    """The URL relative links resolve against: <base href> over the capture's URL."""
    base = root.find(".//base[@href]")
    return urljoin(page_url, base.get("href").strip()) if base is not None else page_url


def attachment_links(anchors: Iterable[html.HtmlElement], base: str) -> list[str]:
    """Absolute URLs of the attachment links among `anchors`, in page order, without duplicates."""
    found: list[str] = []
    for link in anchors:
        href = (link.get("href") or "").strip()
        if not href or href.lower().startswith(("javascript:", "mailto:", "#")):
            continue
        url = urljoin(base, href)
        if is_attachment_url(url) and url not in found:
            found.append(url)
    return found


def anchors_in(elements: Iterable[html.HtmlElement]) -> list[html.HtmlElement]:
    """Every <a> inside `elements`."""
    return [a for element in elements for a in element.iter("a")]


def remove_keeping_tail(element: etree._Element) -> None:
    """Remove an element from its tree but keep the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


# ---------------------------------------------------------------- assembling a Page

MIN_TEXT_CHARS = 30
PAGE_SCAN_NODES = 20_000  # info lines sit near the top; a freak page is not read to its end
_WORD_CHARS = re.compile(r"[\u3400-\u9fffA-Za-z]")


def by_class(name: str, tag: str = "*") -> str:
    """XPath for elements whose class list holds `name`."""
    return f".//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"


def link_texts(root: html.HtmlElement) -> set[str]:
    """Normalised texts of every link on the page, to spot a 'body' made only of navigation."""
    return {t for a in root.iter("a") if (t := normalize_line(a.text_content()))}


def split_info_lines(lines: list[str], meta: Meta) -> list[str]:
    """The lines without info lines (发布时间：… 来源：…), whose fields go into `meta`, and without
    a repeat of the title at the top."""
    kept = []
    for line in lines:
        if is_info_line(line):
            meta.add(**label_values(line))
        elif not (meta.title and line == meta.title and not kept):
            kept.append(line)
    return kept


def check_main_text(lines: list[str], attachments: list[str], links: set[str]) -> None:
    """Raise PageError when the lines are no report: nothing, a scrap, or only link texts."""
    total = sum(len(line) for line in lines)
    if attachments:
        return
    if total < MIN_TEXT_CHARS:
        raise PageError(f"no main text ({total} characters of text and no attachments)")
    words = sum(_han_or_letters(line) for line in lines)
    if words and _chars_outside_links(lines, links) < 0.2 * words:
        raise PageError("no main text: the page holds only navigation links")


def _chars_outside_links(lines: list[str], links: set[str]) -> int:
    """Chinese characters and letters of `lines` left once every link text in them is cut out
    (dates and numbers beside links in a listing do not count as text)."""
    texts = sorted((t for t in links if len(t) >= 2), key=len, reverse=True)[:5000]
    left = 0
    for line in lines:
        for text in texts:
            if text in line:
                line = line.replace(text, "")
        left += _han_or_letters(line)
    return left


def _han_or_letters(line: str) -> int:
    return len(_WORD_CHARS.findall(line))


def container_lines(container: html.HtmlElement) -> tuple[list[str], list[Table]]:
    """Clean lines and data tables of a body container (the container is modified)."""
    drop_non_content(container)
    tables = take_tables(container)
    return clean_lines(element_lines(container)), tables


def page_lines(root: html.HtmlElement) -> list[str]:
    """Short lines of the whole page, for info lines outside the body container."""
    body = root.find("body")
    lines = element_lines(body if body is not None else root, max_nodes=PAGE_SCAN_NODES)
    return [line for line in lines if len(line) <= 200]


def find_container(root: html.HtmlElement, xpaths: Iterable[str]) -> html.HtmlElement | None:
    """The body container: for the first xpath that matches an element holding text, the match with
    the most text (a page may repeat the class for a summary box)."""
    for xpath in xpaths:
        sized = [(len(normalize_line(node.text_content())), node) for node in root.xpath(xpath)]
        sized = [(size, node) for size, node in sized if size >= 2]
        if sized:
            return max(sized, key=lambda pair: pair[0])[1]
    return None


def build_page(
    adapter: str,
    lines: list[str],
    tables: list[Table],
    meta: Meta,
    attachments: list[str],
    root: html.HtmlElement,
) -> Page:
    """The Page, once info lines are lifted out of the text and the text is checked to be a report."""
    lines = split_info_lines(lines, meta)
    check_main_text(lines, attachments, link_texts(root))
    body_text = root.xpath("string(//body)") if root.find("body") is not None else ""
    top = top_lines(root)
    title = page_title(root, meta.title, top)
    return Page(
        adapter=adapter,
        text="\n".join(lines),
        title=title,
        published_date=meta.published_date or date_under_title(top, title) or meta.written_date,
        publisher=meta.publisher,
        index_number=meta.index_number,
        site_name=meta.site_name or site_owner(body_text),
        site_code=site_code(body_text),
        tables=tables,
        attachments=attachments,
    )


TITLE_SCAN_NODES = 3000  # a page states its title near the top


def top_lines(root: html.HtmlElement) -> list[str]:
    """The first lines of the page, link texts left out (a list of other reports is no title)."""
    body = root.find("body")
    links = link_texts(root)
    lines = element_lines(body if body is not None else root, max_nodes=TITLE_SCAN_NODES)[:80]
    return [line for line in lines if line not in links]


def page_title(root: html.HtmlElement, found: str, top: list[str]) -> str:
    """The title an adapter found, unless another place the page states one looks more like a report title:
    the headings, the <title> without the site's suffix, the top lines of the page (a title broken over two
    lines joined). A site name, date banner, breadcrumb or column name never wins over a report title."""
    headings = [normalize_line(n.text_content()) for n in root.xpath("//h1 | //h2 | //h3")[:20]]
    candidates = title_candidates([line for line in top if not is_info_line(line)])
    picked = pick_title([found, *headings, title_from_title_tag(root), *candidates])
    return picked or clean_title(found)


def date_under_title(lines: list[str], title: str) -> str:
    """The date printed alone on one of the lines just under the title, if any (YYYY-MM-DD)."""
    squashed = re.sub(r"\s+", "", title)
    at = next((i for i, line in enumerate(lines) if squashed and re.sub(r"\s+", "", line).endswith(squashed)), -1)
    if at < 0:
        return ""
    return next((normalize_date(line) for line in lines[at + 1:at + 4] if is_date_line(line)), "")
