"""The records passed between stages; field names match the tables in schemas/."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Capture:
    """One archived capture: the bytes on disk and where they came from."""

    sha256: str
    path: str  # relative to the raw dir
    url: str = ""
    final_url: str = ""
    fetched_at: str = ""
    content_type: str = ""
    encoding: str = ""
    kind: str = "report"  # report | listing | attachment
    source: str = ""  # where a capture of unknown URL came from
    title: str = ""  # given by hand with `pipeline add`
    published: str = ""  # given by hand with `pipeline add`
    parent_url: str = ""  # for attachments: the page that links to them


@dataclass
class Table:
    """An HTML <table> of the main text, as header-aware rows of cell strings."""

    rows: list[list[str]]


@dataclass
class Page:
    """What an adapter reads off one capture: clean main text and page metadata."""

    adapter: str  # nfcms | gkmlpt | trs | text | generic | pdf ...
    text: str  # main text only, paragraphs separated by "\n"
    title: str = ""
    published_date: str = ""  # YYYY-MM-DD
    publisher: str = ""
    index_number: str = ""  # 索引号
    site_name: str = ""
    site_code: str = ""  # division code from the footer's 政府网站标识码 / 公安备案号: whose site this is
    tables: list[Table] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)  # absolute URLs
    checks: list[Check] = field(default_factory=list)  # problems worked around: mislabelled charset, cut page


@dataclass
class Section:
    """A numbered part of the report: 一、 / (一) / 1. / 一是 ..."""

    section_id: str  # path like "1.7"
    level: int
    heading: str
    char_start: int
    char_end: int  # offsets into the report text
    text: str


@dataclass
class Fact:
    """One number occurrence in the report text, with what it measures."""

    quote: str  # the phrase around the number, as written
    subject: str  # what the number measures
    value: float
    unit: str  # as written, multiplier kept (万件)
    value_normalized: float  # multiplier applied (537000)
    unit_base: str  # unit without multiplier (件)
    qualifier: str  # enum: more_than, about, nearly, at_least, at_most, less_than, or ""
    qualifier_raw: str  # as written: 余, 约, 以上 ...
    kind: str  # count | rate | amount | change | ratio | duration
    direction: str  # up | down for changes, else ""
    is_target: bool
    char_start: int | None  # offsets of the number (and unit) into the report text; None for table cells
    char_end: int | None
    section_id: str = ""
    indicator_id: str = ""
    fact_id: str = ""  # set by the build: "<report_id>-<n>"


@dataclass
class Report:
    """One report record; the build fills report_id, n_chars and n_facts."""

    title: str
    jurisdiction: str
    level: str  # province | city | district | county | street | department | ""
    parent: str
    division_code: str  # 6-digit GB/T 2260, "" when unknown or ambiguous
    year: int | None  # the year reported on
    published_date: str
    publisher: str
    url: str
    raw_sha256: str
    capture: str  # html | text | pdf ...
    adapter: str
    index_number: str = ""
    government: str = ""  # the government the reporting body is or belongs to (福田区 for 华富街道)
    report_id: str = ""
    n_chars: int = 0
    n_facts: int = 0


@dataclass(frozen=True)
class Check:
    """A problem found in the data; the build adds the report_id."""

    check: str  # a short stable name, e.g. rate_disagrees_with_counts
    severity: str  # error | warning | info
    message: str
    fact_id: str = ""
    value: float | None = None  # the measured quantity the check is about, when there is one
    limit: float | None = None  # the limit it went beyond
