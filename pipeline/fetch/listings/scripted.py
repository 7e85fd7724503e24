"""Lists written by scripts: `document.writeln(...)` from `var url = "./…"; var title = "…";` variables
(Wuhan and other TRS sites), and anchors inside the written strings. An HTML parser sees none of them."""

from __future__ import annotations

import re

from lxml import etree

from pipeline.fetch.listings.base import Link, absolute_http_url, date_in, date_in_url, fragment_links, squeeze

_WRITE = re.compile(r"document\.write(?:ln)?\s*\(")
_ASSIGN = re.compile(r"""(?:\b(?:var|let|const)\s+)?\b([A-Za-z_$][\w$]*)\s*=\s*(["'])((?:\\.|(?!\2).)*)\2""", re.S)
_LITERAL = re.compile(r"""(["'])((?:\\.|(?!\1).)*)\1""", re.S)
_URL_NAME = re.compile(r"url|href|link|path", re.I)
_TITLE_NAME = re.compile(r"title|name|tit|bt", re.I)
_DATE_NAME = re.compile(r"date|time|day|rq", re.I)


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def _variable_items(script: str) -> list[dict[str, str]]:
    """url/title/date variable values in order; each url variable starts a new item."""
    items: list[dict[str, str]] = []
    for m in _ASSIGN.finditer(script):
        name, value = m.group(1), _unescape(m.group(3))
        if _URL_NAME.search(name):
            items.append({"url": value})
        elif items and _TITLE_NAME.search(name) and "title" not in items[-1]:
            items[-1]["title"] = value
        elif items and _DATE_NAME.search(name) and "date" not in items[-1]:
            items[-1]["date"] = value
    return items


def _written_html(script: str) -> str:
    """The string literals passed to document.write(ln), joined: the HTML the script writes."""
    parts = []
    for call in _WRITE.finditer(script):
        end = script.find(");", call.end())
        argument = script[call.end(): end if end > 0 else len(script)]
        parts += [_unescape(m.group(2)) for m in _LITERAL.finditer(argument)]
    return "".join(parts)


def script_written_links(page_url: str, tree: etree._Element) -> list[Link]:
    """Links that only scripts write: from url/title variables, and from anchors in written strings."""
    links: list[Link] = []
    for script in tree.iter("script"):
        text = script.text or ""
        if not _WRITE.search(text):
            continue
        for item in _variable_items(text):
            url = absolute_http_url(page_url, item["url"])
            if url and item.get("title"):
                links.append(Link(url, squeeze(item["title"]), date_in(item.get("date", "")) or date_in_url(url)))
        written = _written_html(text)
        links += [link for link in fragment_links(page_url, written) if "+" not in link.url and link.title]
    return links
