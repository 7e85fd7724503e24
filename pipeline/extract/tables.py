"""Numeric facts out of the data tables of a report: one fact per number cell, its headers as subject.

A table is read as header rows on top (the leading rows without a number other than a year) and label
columns on the left of each row (the cells before its first number). A number cell measures what its row
labels and column headers name together: "行政复议案件 / 2024年". Its unit is written in the cell (12件),
in a unit column (单位: 件), or in a header (数量（件）, 金额（万元）, 单位：万元). Ordinal columns (序号),
year labels (2023年) and unit columns are never facts. Table facts have no offsets into the text
(char_start and char_end are None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.extract.facts import ALL_UNITS, CLAUSE_TARGET_RE, QUALIFIERS, SENTENCE_TARGET_RE, fact_kind
from pipeline.extract.numerals import MULTIPLIERS, normalize_width, parse_number
from pipeline.model import Fact, Table

SEPARATOR = " / "  # between the parts of a subject: row labels first, then column headers
_UNIT = "|".join(re.escape(u) for u in sorted(ALL_UNITS, key=len, reverse=True))
_MULT = "|".join(re.escape(m) for m in sorted(MULTIPLIERS, key=len, reverse=True))
_PREFIXES = "|".join(re.escape(q) for q in sorted(QUALIFIERS, key=len, reverse=True)
                     if q not in ("余", "多", "以上", "以下", "以内", "左右", "上下", "许"))
NUMBER_CELL = re.compile(
    rf"(?P<pre>{_PREFIXES})?(?P<sign>[-+−])?(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    rf"(?P<q1>余|多)?(?P<mult>{_MULT})?(?P<q2>余|多)?(?P<unit>{_UNIT}|:1)?(?P<post>以上|以下|以内|左右|上下)?"
)
UNIT_WORD = re.compile(rf"(?P<mult>{_MULT})?(?P<unit>{_UNIT})")
HEADER_UNIT = re.compile(
    rf"[（(](?:单位[:：])?\s*(?P<u>(?:{_MULT})?(?:{_UNIT}))\s*[)）]|单位[:：]\s*(?P<v>(?:{_MULT})?(?:{_UNIT}))"
)
UNIT_DECLARATION = re.compile(rf"^[（(]?单位[:：]\s*(?:{_MULT})?(?:{_UNIT})[)）]?$")
BARE_YEAR = re.compile(r"^(?:19|20)\d{2}$")
EMPTY_CELL = re.compile(r"^[-—–－/／\\…·.。、*＊无暂缺]*$")
ORDINAL_HEADER = re.compile(r"^(?:序号|编号|序|排名|名次|排序|No\.?|NO\.?)$")
YEAR_HEADER = re.compile(r"年份|年度|^年$|时间|日期|月份|期间")
UNIT_HEADER = re.compile(r"^(?:计量)?单位$")
CHANGE_WORDS = re.compile(r"同比|环比|增减|增长|增幅|增加|上升|提高|下降|降幅|减少|降低|变化|变动|比上年|较上年")
DOWN_WORDS = re.compile(r"下降|降幅|减少|降低")
RATE_WORDS = re.compile(r"率$|率[（(]|率\s*/")


@dataclass(frozen=True)
class _Cell:
    """A number cell as written: value without multiplier, unit with it, and what surrounds the number."""

    value: float
    negative: bool
    multiplier: str
    unit_base: str
    qualifier_raw: str
    bare_year: bool  # 2023 with nothing after it: a year label in a header or label column


def _clean(cell: str) -> str:
    return re.sub(r"\s+", "", normalize_width(cell or ""))


def number_cell(cell: str) -> _Cell | None:
    """The number a cell holds (1,024 / 12件 / 96.1% / 约3.5万元 / -2.1), or None for words and blanks."""
    text = _clean(cell)
    m = NUMBER_CELL.fullmatch(text)
    if not m:
        return None
    try:
        value = parse_number(m["num"])
    except ValueError:
        return None
    qualifier = m["pre"] or m["q1"] or m["q2"] or m["post"] or ""
    return _Cell(value, bool(m["sign"]) and m["sign"] != "+", m["mult"] or "", m["unit"] or "", qualifier,
                 bool(BARE_YEAR.match(text)))


def unit_word(text: str) -> tuple[str, str] | None:
    """(multiplier, base unit) of a cell that holds only a unit (件, 万元, %), else None."""
    m = UNIT_WORD.fullmatch(_clean(text))
    return (m["mult"] or "", m["unit"]) if m else None


def _header_unit(parts: list[str]) -> tuple[str, str] | None:
    """The unit a header names: 数量（件）, 金额(万元), 单位：万元 (the last one written wins)."""
    for part in reversed(parts):
        for m in reversed(list(HEADER_UNIT.finditer(_clean(part)))):
            return unit_word(m["u"] or m["v"])
    return None


def _is_label(cell: _Cell | None) -> bool:
    return cell is None or cell.bare_year


def table_facts(tables: list[Table]) -> list[Fact]:
    """The facts of every data table, table by table, row by row, left to right."""
    return [fact for table in tables for fact in _facts_of(table.rows)]


@dataclass
class _Grid:
    """One table with its rows padded to a rectangle, cells parsed, and the role of each column."""

    rows: list[list[str]]
    cells: list[list[_Cell | None]]
    n_header: int
    skip_columns: set[int]  # ordinal and unit columns
    year_columns: set[int]
    unit_columns: set[int]

    def column_header(self, col: int) -> list[str]:
        """The distinct header texts above a column, top to bottom, without unit-only declarations."""
        parts = [self.rows[r][col] for r in range(self.n_header)]
        return _distinct(p for p in parts if p and not UNIT_DECLARATION.match(_clean(p)))

    def header_unit_of(self, col: int) -> tuple[str, str] | None:
        return _header_unit([self.rows[r][col] for r in range(self.n_header)])


def _grid(rows: list[list[str]]) -> _Grid | None:
    width = max((len(r) for r in rows), default=0)
    rows = [[(c or "").strip() for c in r] + [""] * (width - len(r)) for r in rows]
    cells = [[number_cell(c) for c in r] for r in rows]
    n_header = 0
    while n_header < len(rows) and all(_is_label(c) for c in cells[n_header]):
        n_header += 1
    if n_header == len(rows):
        return None  # no number anywhere
    headers = [[_clean(rows[r][c]) for r in range(n_header)] for c in range(width)]
    data = range(n_header, len(rows))
    ordinal = {c for c in range(width) if any(ORDINAL_HEADER.match(h) for h in headers[c])}
    if not headers[0] or not any(headers[0]):
        ordinal |= {0} if _counts_up([cells[r][0] for r in data]) else set()
    units = {c for c in range(width) if any(UNIT_HEADER.match(h) for h in headers[c])
             or _only_units([rows[r][c] for r in data])}
    years = {c for c in range(width) if any(YEAR_HEADER.search(h) for h in headers[c])}
    return _Grid(rows, cells, n_header, ordinal | units, years, units)


def _counts_up(cells: list[_Cell | None]) -> bool:
    """A first column numbering the rows 1, 2, 3 … without units: an ordinal column without a header."""
    values = [c.value if c and not c.unit_base and not c.multiplier else None for c in cells]
    return len(values) >= 2 and values == [float(n) for n in range(1, len(values) + 1)]


def _only_units(texts: list[str]) -> bool:
    filled = [t for t in texts if _clean(t)]
    return bool(filled) and all(unit_word(t) for t in filled)


def _distinct(parts) -> list[str]:
    out: list[str] = []
    for part in parts:
        if part not in out:
            out.append(part)
    return out


def _facts_of(rows: list[list[str]]) -> list[Fact]:
    grid = _grid(rows)
    if grid is None:
        return []
    facts = []
    for r in range(grid.n_header, len(grid.rows)):
        facts += _row_facts(grid, r)
    return facts


def _row_facts(grid: _Grid, r: int) -> list[Fact]:
    """The facts of one data row: every number cell right of the row's labels."""
    row, cells = grid.rows[r], grid.cells[r]
    labels: list[str] = []
    first_value = len(row)
    for c, cell in enumerate(cells):
        if c in grid.skip_columns:
            continue
        if not (_is_label(cell) or c in grid.year_columns):
            first_value = c
            break
        if row[c] and not EMPTY_CELL.match(_clean(row[c])):
            labels.append(row[c])
    labels = _distinct(labels)
    row_unit = next((u for c in sorted(grid.unit_columns) if (u := unit_word(row[c]))), None)
    quote = " ".join(_distinct_runs(row))
    facts = []
    for c in range(first_value, len(row)):
        cell = cells[c]
        if cell is None or c in grid.skip_columns or c in grid.year_columns:
            continue
        header = grid.column_header(c)
        subject = SEPARATOR.join(_distinct([*labels, *header]))
        if subject:
            unit = _unit_of(cell, row_unit, grid.header_unit_of(c), _header_unit(labels), subject)
            facts.append(_fact(cell, unit, subject, quote))
    return facts


def _distinct_runs(cells: list[str]) -> list[str]:
    """The non-empty cells with a merged cell's repeats (colspan) written once."""
    out: list[str] = []
    for cell in cells:
        if cell and (not out or out[-1] != cell):
            out.append(cell)
    return out


def _unit_of(cell: _Cell, row_unit, column_unit, label_unit, subject: str) -> tuple[str, str]:
    """(multiplier, base unit): the cell's own, else the row's unit column, the column header, the row
    label; a bare number under a rate header (败诉率) is in percent."""
    if cell.unit_base:
        return cell.multiplier, cell.unit_base
    for found in (row_unit, column_unit, label_unit):
        if found:
            return cell.multiplier or found[0], found[1]
    if RATE_WORDS.search(subject) and not cell.multiplier:
        return "", "%"
    return cell.multiplier, ""


def _fact(cell: _Cell, unit: tuple[str, str], subject: str, quote: str) -> Fact:
    multiplier, unit_base = unit
    changes = bool(CHANGE_WORDS.search(subject)) or cell.negative
    direction = ("down" if cell.negative or DOWN_WORDS.search(subject) else "up") if changes else ""
    return Fact(
        quote=quote,
        subject=subject,
        value=cell.value,
        unit=multiplier + unit_base,
        value_normalized=cell.value * MULTIPLIERS.get(multiplier, 1.0),
        unit_base=unit_base,
        qualifier=QUALIFIERS.get(cell.qualifier_raw, ""),
        qualifier_raw=cell.qualifier_raw,
        kind=fact_kind(unit_base, direction),
        direction=direction,
        is_target=bool(SENTENCE_TARGET_RE.search(subject) or CLAUSE_TARGET_RE.search(subject)),
        char_start=None,
        char_end=None,
    )


# ---------------------------------------------------------------- tables written as text

TOTAL_HEADER = re.compile(r"^(?:总计|合计|总数|小计)$")
COUNT_HEADER = re.compile(r"(?:件数|数量|次数|总数|案件|申请)(?:[（(].*)?$")
TEXT_ROW_BREAK = "|"
CAPTION = re.compile(r"^表\s*\d|(?:情况|统计|一览表|汇总表)(?:[(（].*[)）])?$")


def text_table_facts(text: str) -> list[Fact]:
    """Facts of tables written as text (a page that kept a table as lines of cells split by |): a row of
    headers (信息内容 | 本年制发件数 | 本年废止件数), then rows of a label and numbers, each number read under
    the header of its position. Where the headers end in a total column (总计), only that cell of a row is
    read: the others are its parts. A row whose cells do not line up with its headers is left out. A total
    row (总计 | 183489) also takes the table's caption (表1：受理行政复议案件情况), which names what it counts."""
    facts = []
    for caption, rows in [*_text_tables(text), *_spaced_tables(text)]:
        facts += _text_table_facts(rows, caption)
    return facts


SPACED_HEADER_CELL = re.compile(r"^[\u4e00-\u9fff（）()]{2,12}$")


def _spaced_tables(text: str) -> list[tuple[str, list[list[str]]]]:
    """A line of at least three words split by spaces (新收案件 办结案件 纠错率) right above a line of as many
    numbers: a table written without |, as (caption, [header row, number row]); the caption is the line
    above when it reads as one or is a short heading without a full stop."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    tables = []
    for n in range(len(lines) - 1):
        header, numbers = lines[n].split(), lines[n + 1].split()
        if (len(header) >= 3 and len(numbers) == len(header) and all(SPACED_HEADER_CELL.match(h) for h in header)
                and all(number_cell(c) is not None for c in numbers)):
            above = lines[n - 1] if n else ""
            caption = above if CAPTION.search(above) or (len(above) <= 30 and "。" not in above) else ""
            tables.append((caption, [header, numbers]))
    return tables


def _text_tables(text: str) -> list[tuple[str, list[list[str]]]]:
    """Runs of lines holding | as (caption, rows of cells): one row per line, or, where each line holds one
    cell (a cell per line, rows split by a bare |), one row per group. The caption is the line before the run
    when it reads as one (表1：…, …情况, …统计), else ""."""
    tables, run, previous = [], [], ""
    for line in [*text.split("\n"), ""]:
        if TEXT_ROW_BREAK in line:
            run.append(line.strip())
            continue
        if len(run) >= 2:
            tables.append((previous if CAPTION.search(previous) else "", _rows_of(run)))
        run = []
        if line.strip():
            previous = line.strip()
    return tables


def _rows_of(lines: list[str]) -> list[list[str]]:
    cells = [[c.strip() for c in line.split(TEXT_ROW_BREAK)] for line in lines]
    if sum(len([c for c in row if c]) <= 1 for row in cells) * 2 < len(cells):
        return [_trimmed(row) for row in cells]
    rows, row = [], []
    for line in lines:
        if line == TEXT_ROW_BREAK:
            if row:
                rows.append(row)
            row = []
        else:
            row.append(line.strip(" " + TEXT_ROW_BREAK).strip())
    return [*rows, row] if row else rows


def _trimmed(row: list[str]) -> list[str]:
    """A row without the empty cells of its leading and trailing | (inner empty cells keep positions)."""
    start, end = 0, len(row)
    while start < end and not row[start]:
        start += 1
    while end > start and not row[end - 1]:
        end -= 1
    return row[start:end]


def _text_table_facts(rows: list[list[str]], caption: str = "") -> list[Fact]:
    facts: list[Fact] = []
    headers: list[list[str]] = []
    after_data = False
    for row in rows:
        cells = [number_cell(c) if c else None for c in row]
        if len([c for c in row if c]) >= 2 and all(_is_label(c) for c in cells):
            headers = [row] if after_data else [*headers, row]
            after_data = False
        elif headers and row and cells[0] is None and any(c is not None for c in cells[1:]):
            after_data = True
            facts += _text_row_facts(row, cells, headers, caption)
        elif headers and row and all(c is not None for c in cells) and len(row) == len(headers[-1]):
            after_data = True  # a row of numbers only, one under each header (新收案件 | 办结案件 | 纠错率)
            facts += _text_row_facts([caption, *row], [None, *cells], [["", *headers[-1]]])
    return facts


def _text_row_facts(row: list[str], cells: list[_Cell | None], headers: list[list[str]],
                    caption: str = "") -> list[Fact]:
    """The facts of one data row under its header rows (see text_table_facts)."""
    label, quote = row[0], " | ".join(c for c in row[1:] if c) if not row[0] else " | ".join(c for c in row if c)
    if caption and TOTAL_HEADER.match(_clean(label)):
        label = SEPARATOR.join([re.sub(r"[(（][^)）]*[)）]$", "", caption), label])  # 表1：…情况(按数量降序排列)
    if any(TOTAL_HEADER.match(_clean(h[-1])) for h in headers):
        last = max(i for i, c in enumerate(cells) if c is not None)
        pairs = [(last, _clean(next(h[-1] for h in headers if TOTAL_HEADER.match(_clean(h[-1])))))]
    elif len(row) <= len(headers[-1]):
        pairs = [(i, headers[-1][i]) for i in range(1, len(row)) if cells[i] is not None]
    else:
        return []
    facts = []
    for i, header in pairs:
        cell = cells[i]
        subject = SEPARATOR.join(_distinct([part for part in (label, header) if part]))
        unit = _unit_of(cell, None, _header_unit([header]), _header_unit([label]), subject)
        if not unit[1] and not cell.multiplier and cell.value.is_integer() and (
                COUNT_HEADER.search(_clean(header)) or COUNT_HEADER.search(_clean(label))):
            unit = ("", "件")  # 本年制发件数, 本年新收…申请数量: a count of items
        facts.append(_fact(cell, unit, subject, quote))
    return facts
