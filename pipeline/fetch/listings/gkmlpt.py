"""gkmlpt, the Guangdong disclosure platform. A site (or a department's sub-site under a path prefix:
everything before /gkmlpt/ belongs to it) has /gkmlpt/index with window._CONFIG {SID, TREE}, and a list
API {prefix}/gkmlpt/api/all/{cat}?page={n}&sid={SID} answering {classify{post_count}, articles[]}.

Pages hold *up to* 100 articles (short pages are normal) and a page past the end may answer 404, so pages
are read one after the other until classify.post_count articles are seen or a page is empty. TREE nodes
with a jump_url point at a page elsewhere: that page is read as a listing, not queried as a category."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import chompjs

from pipeline.fetch.listings.base import (
    REPORT_TOPIC,
    Link,
    ListingPage,
    PageRequest,
    absolute_http_url,
    date_in,
    squeeze,
)

_SID = re.compile(r"""\bSID["']?\s*[:=]\s*["']?([\w-]+)""")
_TREE = re.compile(r"""\bTREE["']?\s*[:=]\s*""")
_CHINA_TZ = timedelta(hours=8)
_PUBLISHED_FIELDS = ("display_publish_time", "publish_time", "created_at", "create_time")


def site_prefix(url: str) -> str:
    """The gkmlpt site a URL belongs to: scheme, host and any path before /gkmlpt/."""
    parts = urlsplit(url)
    path = parts.path.split("/gkmlpt/", 1)[0] if "/gkmlpt/" in parts.path else ""
    return f"{parts.scheme}://{parts.netloc}{path.rstrip('/')}"


def api_url(page_url: str, category: str, sid: str, page: int = 1) -> str:
    """The list API URL of a category page, under the site's prefix."""
    return f"{site_prefix(page_url)}/gkmlpt/api/all/{category}?page={page}&sid={sid}"


def post_url(page_url: str, post_id: int) -> str:
    """A gkmlpt content page URL from an article id: {prefix}/gkmlpt/content/{id//10^6}/{id//10^3}/post_{id}.html."""
    return f"{site_prefix(page_url)}/gkmlpt/content/{post_id // 10**6}/{post_id // 10**3}/post_{post_id}.html"


def tree_nodes(text: str) -> list[dict[str, Any]]:
    """Every node of window._CONFIG.TREE, children included, whatever order its keys come in."""
    m = _TREE.search(text)
    if not m:
        return []
    try:
        tree = chompjs.parse_js_object(text[m.end():])
    except ValueError:
        return []

    def walk(nodes: Any) -> Iterator[dict[str, Any]]:
        for node in nodes if isinstance(nodes, list) else [nodes]:
            if isinstance(node, dict):
                yield node
                yield from walk(node.get("children") or [])

    return list(walk(tree))


def categories(page_url: str, text: str) -> list[PageRequest]:
    """What a gkmlpt index means: the category after # (index#2530), else the TREE nodes about
    rule-of-law government (法治政府…): API page 1 of each, or the page a jump_url node points at."""
    sid = _SID.search(text)
    if m := re.search(r"\d+", urlsplit(page_url).fragment):
        return [PageRequest(api_url(page_url, m.group(0), sid.group(1)))] if sid else []
    out: dict[str, PageRequest] = {}
    for node in tree_nodes(text):
        empty = node.get("post_count") == 0 and not node.get("jump_url")
        if empty or not REPORT_TOPIC.search(str(node.get("name") or "")):
            continue
        if node.get("jump_url"):
            url = absolute_http_url(page_url, str(node["jump_url"]))
        else:
            url = api_url(page_url, str(node.get("id")), sid.group(1)) if sid and node.get("id") is not None else ""
        if url:
            out.setdefault(url, PageRequest(url))
    return list(out.values())


def _date(value: object) -> str:
    """A date from epoch seconds or milliseconds (read in China time) or a date string."""
    if isinstance(value, int | float) and value > 0:
        seconds = value / 1000 if value > 1e11 else value
        return (datetime.fromtimestamp(seconds, UTC) + _CHINA_TZ).strftime("%Y-%m-%d")
    if isinstance(value, str) and value.isdigit():
        return _date(int(value))
    return date_in(str(value or ""))


def article_link(page_url: str, art: dict[str, Any]) -> Link | None:
    """One article: its gkmlpt URL (built from the id when missing), post_url kept as another name for it,
    文号, and both dates: `date` (成文日期 on some sites) and the publication time where given."""
    url = absolute_http_url(page_url, str(art.get("url") or ""))
    if not url and str(art.get("id", "")).isdigit():
        url = post_url(page_url, int(art["id"]))
    if not url:
        return None
    alias = absolute_http_url(page_url, str(art.get("post_url") or ""))
    written = _date(art.get("date"))
    published = next((d for d in (_date(art.get(k)) for k in _PUBLISHED_FIELDS) if d), "") or written
    return Link(url, squeeze(str(art.get("title") or "")), published, squeeze(str(art.get("document_number") or "")),
                written, (alias,) if alias and alias != url else ())


def read_api(request: PageRequest, text: str) -> ListingPage:
    """Articles of one list API page, and the next page unless this one was empty."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return ListingPage("gkmlpt")
    if not isinstance(data, dict):
        return ListingPage("gkmlpt")
    articles = [a for a in data.get("articles") or [] if isinstance(a, dict)]
    links = [link for art in articles if (link := article_link(request.url, art))]
    classify = data.get("classify") if isinstance(data.get("classify"), dict) else {}
    expected = next((v for v in (classify.get("post_count"), data.get("total"), data.get("count"))
                     if isinstance(v, int)), None)
    query = dict(parse_qsl(urlsplit(request.url).query))
    page = int(query.get("page", "1")) if query.get("page", "1").isdigit() else 1
    more = []
    if links and (expected is None or expected > 0):
        category = urlsplit(request.url).path.rstrip("/").rsplit("/", 1)[-1]
        more = [PageRequest(api_url(request.url, category, query.get("sid", ""), max(page, 1) + 1))]
    return ListingPage("gkmlpt", links, more, column=squeeze(str(classify.get("name") or "")), expected=expected)


def matches(url: str, text: str) -> bool:
    path = urlsplit(url).path
    return "/gkmlpt/" in path and ("/gkmlpt/api/" in path or "_CONFIG" in text)


def read(request: PageRequest, text: str) -> ListingPage:
    if "/gkmlpt/api/" in urlsplit(request.url).path:
        return read_api(request, text)
    return ListingPage("gkmlpt", lists=categories(request.url, text))
