"""Discovery from a government portal's root: follow its own navigation (政务公开, 政府信息公开,
法定主动公开内容, 法治政府建设 …) a few steps deep to the column(s) of annual rule-of-law government
reports, and stop there. Pure parsing: the crawler fetches, this says where to go and what was found."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pipeline.fetch.listings.base import (
    Link,
    date_in_url,
    is_endpoint_url,
    is_report_link,
    page_links,
    parse_html,
    year_from_title,
)

MAX_DEPTH = 3  # steps from the portal root
MAX_PAGES = 20  # navigation pages read per portal

# A column of the reports: its name says 法治政府建设(年度/情况)报告 and no year.
_REPORT_COLUMN = re.compile(r"(?:法治政府|依法行政)[^，。,；;]{0,8}报告")
# Menu entries leading towards it, most specific first.
_NAVIGATION = (re.compile(r"法治政府建设|法治政府|依法行政|法治建设"),
               re.compile(r"法定主动公开|主动公开内容|其他法定"),
               re.compile(r"政府信息公开|信息公开目录|信息公开"),
               re.compile(r"政务公开"))
# Look-alikes that lead elsewhere: the disclosure annual report (年报), guides, application forms.
_ARTICLE_PATH = re.compile(r"/(?:content/)?post_\d+\.html$|/art_\d+_\d+\.html$")
_NOT_NAVIGATION = re.compile(r"政府信息公开(?:工作)?年度?报告|年报|指南|制度|申请|意见箱|解读|网站年度报告"
                             r"|工作年度报告")


@dataclass
class PortalPage:
    """What a navigation page shows: report columns it links to, and menu links to follow (best first)."""

    columns: list[Link] = field(default_factory=list)
    follow: list[str] = field(default_factory=list)
    lists_reports: bool = False  # the page itself lists reports: it is a report column


def site_domain(url: str) -> str:
    """The portal's domain without www., so xxgk.szft.gov.cn belongs to www.szft.gov.cn."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def on_site(url: str, domain: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == domain or host.endswith("." + domain)


def is_report_column(link: Link) -> bool:
    """A menu link naming the column of the reports (法治政府建设年度报告), not one report: no year in its
    name, and no article URL (a date in it, content/post_N)."""
    name = re.sub(r"\s+", "", link.title)
    return bool(_REPORT_COLUMN.search(name)) and year_from_title(name) is None and not is_article_url(link.url) \
        and not _NOT_NAVIGATION.search(name)


def is_article_url(url: str) -> bool:
    """True for URLs of one article (a date in them, post_N, art_N_N), which menus do not lead to."""
    return bool(date_in_url(url) or _ARTICLE_PATH.search(urlsplit(url).path))


def navigation_rank(link: Link) -> int | None:
    """How promising a menu link is (0 best), None for links that lead elsewhere."""
    name = re.sub(r"\s+", "", link.title)
    if not name or len(name) > 16 or _NOT_NAVIGATION.search(name) or year_from_title(name) \
            or is_article_url(link.url):
        return None
    return next((n for n, pattern in enumerate(_NAVIGATION) if pattern.search(name)), None)


def read_portal_page(page_url: str, text: str, domain: str) -> PortalPage:
    """Report columns linked from a portal page, and the portal's menu links worth following."""
    tree = parse_html(text)
    if tree is None:
        return PortalPage()
    links = [link for link in page_links(page_url, tree) if on_site(link.url, domain) and not is_endpoint_url(link.url)]
    columns = [link for link in links if is_report_column(link)]
    ranked = sorted((rank, n, link.url) for n, link in enumerate(links)
                    if link not in columns and (rank := navigation_rank(link)) is not None)
    return PortalPage(columns, list(dict.fromkeys(url for _, _, url in ranked)),
                      any(is_report_link(link) for link in links))
