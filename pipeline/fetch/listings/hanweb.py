"""Hanweb / 大汉 JCMS "jpage" columns (Jiangsu, Shandong, many cities and agencies): /col/colN/index.html
keeps its list inside <script type="text/xml"><datastore>, one <record><![CDATA[<li>…]]></record> per
article, so an HTML parser sees no links. The rest of the list comes from /module/web/jpage/dataproxy.jsp
in groups (startrecord/endrecord/perpage in the query), the form fields named by the column page's
<nextgroup> link (col, appid, webid, path, columnid, unitid, webname, permissiontype), by POST where the
page's script says so, else by GET. Replies are XML with the same records."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from pipeline.fetch.listings.base import Link, ListingPage, PageRequest, absolute_http_url, fragment_links
from pipeline.fetch.listings.generic import html_listing, merge_links

_RECORD = re.compile(r"<record(?:\s[^>]*)?>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</record>", re.S | re.I)
_NEXTGROUP = re.compile(r"<nextgroup(?:\s[^>]*)?>\s*(?:<!\[CDATA\[(.*?)\]\]>|(.*?))\s*</nextgroup>", re.S | re.I)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)
_TOTAL = re.compile(r"""(?:totalRecord|<totalrecord>)\s*[=:]?\s*["']?(\d+)""", re.I)
_PER_PAGE = re.compile(r"""\bperPage\s*[=:]\s*["']?(\d+)""", re.I)
_POST = re.compile(r"""\b(?:type|method|ajaxType)\s*[=:]\s*["']post["']""", re.I)
_PROXY = "/module/web/jpage/dataproxy.jsp"
FORM_FIELDS = ("col", "appid", "webid", "path", "columnid", "unitid", "webname", "permissiontype")
_RANGE_FIELDS = ("startrecord", "endrecord", "perpage")


def _records(text: str) -> list[str]:
    return [m.group(1) if m.group(1) is not None else html.unescape(m.group(2)) for m in _RECORD.finditer(text)]


def record_links(page_url: str, text: str) -> list[Link]:
    """The articles of a datastore's records (dates in them may be broken over lines)."""
    return merge_links(*(fragment_links(page_url, record) for record in _records(text)))


def _form_fields(page_url: str, text: str) -> tuple[str, list[tuple[str, str]]]:
    """The data proxy's URL and the form fields the column page names in its <nextgroup> link."""
    m = _NEXTGROUP.search(text)
    href = _HREF.search(m.group(1) or m.group(2) or "") if m else None
    url = (absolute_http_url(page_url, html.unescape(href.group(1))) if href else "") or urljoin(page_url, _PROXY)
    given = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    fields = [(name, given.get(name, "1" if name == "col" else "")) for name in FORM_FIELDS
              if name in given or name == "col"]
    return urljoin(url, urlsplit(url).path), fields


def group_request(proxy: str, fields: list[tuple[str, str]], start: int, end: int, per_page: int,
                  post: bool) -> PageRequest:
    """The request for records start..end: the range in the query, the form by POST (or in the query)."""
    span = [("startrecord", str(start)), ("endrecord", str(end)), ("perpage", str(per_page))]
    if post:
        return PageRequest(f"{proxy}?{urlencode(span)}", "POST", tuple(fields))
    return PageRequest(f"{proxy}?{urlencode([*span, *fields])}")


def _number(pattern: re.Pattern[str], text: str) -> int | None:
    m = pattern.search(text)
    return int(m.group(1)) if m else None


def read_column(request: PageRequest, text: str) -> ListingPage:
    """A column page: its records, and the first further group of records if the column holds more."""
    records = record_links(request.url, text)
    page = html_listing("hanweb", request, text, [], follow_pager_links=False)
    total = _number(_TOTAL, text)
    per_page = _number(_PER_PAGE, text) or 15
    shown = len(_records(text))
    more = []
    if shown and (total is None or total > shown):
        proxy, fields = _form_fields(request.url, text)
        more = [group_request(proxy, fields, shown + 1, 2 * shown, per_page, bool(_POST.search(text)))]
    # The records are the list; the rest of the page is menus (counted against `expected` they would end it early).
    return ListingPage("hanweb", records or page.links, more, column=page.column, expected=total)


def read_reply(request: PageRequest, text: str) -> ListingPage:
    """A data proxy reply: its records, and the next group of the same size unless this one was empty."""
    links = record_links(request.url, text)
    asked = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True)) | dict(request.data)
    total = _number(_TOTAL, text)
    if not links or not all(asked.get(k, "").isdigit() for k in _RANGE_FIELDS):
        return ListingPage("hanweb", links, expected=total)
    start, end, per_page = (int(asked[k]) for k in _RANGE_FIELDS)
    if total is not None and end >= total:
        return ListingPage("hanweb", links, expected=total)
    fields = [(k, v) for k, v in (request.data or parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
              if k not in _RANGE_FIELDS]
    proxy = urljoin(request.url, urlsplit(request.url).path)
    size = end - start + 1
    more = [group_request(proxy, fields, end + 1, end + size, per_page, request.method == "POST")]
    return ListingPage("hanweb", links, more, expected=total)


def matches(url: str, text: str) -> bool:
    return "dataproxy.jsp" in urlsplit(url).path or bool(re.search(r"<datastore", text, re.I))


def read(request: PageRequest, text: str) -> ListingPage:
    if "dataproxy.jsp" in urlsplit(request.url).path:
        return read_reply(request, text)
    return read_column(request, text)
