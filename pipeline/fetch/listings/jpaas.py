"""jpaas api-gateway columns (Zhejiang departments, Hangzhou): page 1 is static; its pager element
carries count="386" rows="15" pageNo="1" and a queryData (webId, tagId, tplSetId …); the other pages come
from /api-gateway/jpaas-publish-server/front/page/build/unit?…&rows&pageNo as JSON {success, data:{html}}.
Hrefs may be protocol-relative (//host/…)."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import urlencode, urljoin, urlsplit

import chompjs

from pipeline.fetch.listings.base import MAX_LISTED_PAGES, ListingPage, PageRequest, fragment_links, parse_html
from pipeline.fetch.listings.generic import html_listing

API_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"
_QUERY_DATA = re.compile(r"""\bqueryData["']?\s*[:=]\s*""", re.I)
_PAGER = re.compile(r"""\bpageNo\s*=\s*["']?\d""", re.I)


def _query_data(text: str, attribute: str) -> dict[str, str]:
    """The pager's queryData, from its attribute or a script object."""
    sources = [attribute] if attribute else []
    if m := _QUERY_DATA.search(text):
        sources.append(text[m.end():])
    for source in sources:
        try:
            data = chompjs.parse_js_object(source)
        except ValueError:
            continue
        if isinstance(data, dict):
            return {str(k): str(v) for k, v in data.items() if not isinstance(v, dict | list)}
    return {}


def api_pages(request: PageRequest, text: str) -> list[PageRequest]:
    """The API requests of pages 2..N, from the pager element's count and rows."""
    tree = parse_html(text)
    pager = tree.xpath("//*[@count and @rows and @pageno]") if tree is not None else []
    if not pager:
        return []
    count, rows = pager[0].get("count", ""), pager[0].get("rows", "")
    if not (count.isdigit() and rows.isdigit() and int(rows)):
        return []
    query = _query_data(text, pager[0].get("querydata", ""))
    api = urljoin(request.url, API_PATH)
    pages = min(math.ceil(int(count) / int(rows)), MAX_LISTED_PAGES)
    return [PageRequest(f"{api}?{urlencode({**query, 'rows': rows, 'pageNo': n})}") for n in range(2, pages + 1)]


def read_reply(request: PageRequest, text: str) -> ListingPage:
    """A JSON reply: the links of its data.html."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return ListingPage("jpaas")
    body = data.get("data") if isinstance(data, dict) else None
    html = body.get("html") if isinstance(body, dict) else body if isinstance(body, str) else ""
    return ListingPage("jpaas", fragment_links(request.url, html or ""))


def matches(url: str, text: str) -> bool:
    """The gateway's replies, and column pages whose pager names jpaas or carries a queryData."""
    pager = bool(_PAGER.search(text))
    return API_PATH in urlsplit(url).path or pager and ("jpaas" in text or bool(_QUERY_DATA.search(text)))


def read(request: PageRequest, text: str) -> ListingPage:
    if API_PATH in urlsplit(request.url).path:
        return read_reply(request, text)
    return html_listing("jpaas", request, text, api_pages(request, text))
