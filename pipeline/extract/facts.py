"""Numeric facts out of report prose: every number that counts, rates, costs, changes or times something.

A number becomes a fact only when something says it is a quantity: a unit or measure word after it
(件, 宗, 人次, 万元, %, 个工作日 ...), a ratio form (1.04:1), or a bare value stated with 为/是 (败诉案件为0).
Years, dates, ordinals, enumerators, names with numbers, document and index numbers and page furniture
have none of these, or are masked out before the numbers are read.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.extract.numerals import (
    MULTIPLIERS,
    THOUSANDS_SEPARATORS,
    normalize_width,
    parse_arabic,
    parse_chinese,
    split_multiplier,
)
from pipeline.model import Fact

# ---------------------------------------------------------------------------------------------- units

RATE_UNITS = ("%", "‰", "个百分点", "百分点", "成")  # 九成 = 90%, kept as written
DURATION_UNITS = ("个工作日", "工作日", "个小时", "小时", "分钟", "学时", "课时", "个月", "天", "周", "秒")
MONEY_UNITS = ("元", "美元", "港元", "澳门元", "欧元")
RATIO_UNITS = ("倍",)
COUNT_UNITS = (
    "人次", "户次", "家次", "场次", "批次", "件次", "条次", "台次", "车次", "架次", "班次", "项次", "份次",
    "期次", "类次", "人日", "大项", "大类", "部门", "平方公里", "平方米", "立方米", "公里", "千米", "公顷",
    "公斤", "千克", "千瓦", "件", "宗", "项", "次", "场", "人", "名", "个", "家", "户", "部", "条", "份",
    "种", "批", "轮", "期", "篇", "起", "处", "所", "座", "支", "台", "套", "张", "本", "册", "卷", "块",
    "例", "位", "类", "单", "笔", "门", "节", "堂", "栋", "辆", "艘", "棵", "株", "头", "只", "枚", "封",
    "间", "吨", "亩", "米", "分", "岁", "周岁", "通", "则", "幅", "集",
)  # fmt: skip
# After a one-character Chinese numeral other than 两 these are too often part of an ordinary word (十分, 四周,
# 二期工程, 一处); after 两 or a longer numeral (两期, 二百一十三处) they count.
NOT_AFTER_CHINESE = frozenset("分周期秒米间门头只本单节处通集")
_WORDY_ONES = frozenset("零〇一二三四五六七八九十")  # 两 and a bare 百/千/万 (近千处) are counted as they stand
NOT_AFTER_ARABIC: frozenset[str] = frozenset()
# A unit followed by one of these characters starts a word instead: 10成员单位, 建党100周年 (an anniversary
# names, it does not count), 十一期间, 两节期间.
UNIT_WORD_STARTS: dict[str, frozenset[str]] = {
    "成": frozenset("员立果本为效绩交功熟就长品型年"),
    "周": frozenset("年"),
    "期": frozenset("间"),
    "节": frozenset("期日假"),
    "通": frozenset("过知报告道信讯畅用行"),
    "幅": frozenset("度"),
    "集": frozenset("中体团成"),
}
# 年 is a unit only in 连续四年 (the length of a run); elsewhere it marks calendar years and plan periods.
RUN_UNIT = "年"
RUN_WORD = "连续"
# 日 is a unit only as a time limit (15日内, 压缩至45日以内); elsewhere it ends a date (3月15日).
DAY_UNIT = "日"
DAY_LIMIT_RE = re.compile(r"日(?:以内|之内|内)")
ALL_UNITS = RATE_UNITS + DURATION_UNITS + MONEY_UNITS + RATIO_UNITS + COUNT_UNITS


def _alternation(words: tuple[str, ...] | list[str]) -> str:
    """Return a regex alternation trying longer words first, so 人次 wins over 人."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_UNITS_ARABIC = _alternation([u for u in ALL_UNITS if u not in NOT_AFTER_ARABIC])
_UNITS_CHINESE = _alternation(ALL_UNITS)  # NOT_AFTER_CHINESE depends on the numeral: see _unit_after
_MULT = _alternation(list(MULTIPLIERS))
_MULT_CHINESE = "万亿|亿|万"

_UNIT_TAIL = r"(?P<q1>余|多)?(?P<mult>{mult})?(?P<q2>余|多)?[ ]?(?P<unit>{units})?"
UNIT_AFTER_ARABIC_RE = re.compile(_UNIT_TAIL.format(mult=_MULT, units=_UNITS_ARABIC))
UNIT_AFTER_CHINESE_RE = re.compile(_UNIT_TAIL.format(mult=_MULT_CHINESE, units=_UNITS_CHINESE))
RATIO_TAIL_RE = re.compile(r"[ ]?[:比][ ]?1(?![\d.])")  # 1.04:1, 1.3比1

# ------------------------------------------------------------------------------------------- numbers

_CN = "零〇一二两三四五六七八九十百千万亿"
_CN_START = "零〇一二两三四五六七八九十"
_CN_PLACES = frozenset("十百千万亿")
_ROUND_STARTS = "百千万亿"  # 近千件, 逾百家, 百余人: see _round_number_stated
_RANGE_JOIN = "至到~—–-"  # 2至3名, 三到五次, 10-15个工作日, 10~15天
_CN_UNIT_AHEAD = rf"[余多]?(?:{_MULT_CHINESE})?[余多]?[ ]?(?:{_UNITS_CHINESE})"
NUMBER_RE = re.compile(
    r"(?P<pct>[百千]分之(?P<pctnum>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+(?:点[零〇一二三四五六七八九]+)?))"
    r"|(?P<ar>\d{1,3}(?:,\d{3})++(?:\.\d+)?(?![\d,])|[1-9]\d{0,2}(?:，\d{3})++(?:\.\d+)?(?![\d，])|\d++(?:\.\d+)?)"
    rf"|(?P<cn>[{_CN_START}{_ROUND_STARTS}][{_CN}]*+(?:点[零〇一二三四五六七八九]+)?)"
    rf"(?={_CN_UNIT_AHEAD}|{RUN_UNIT}|[ ]?[{_RANGE_JOIN}][ ]?[{_CN_START}])"
    r"|(?P<zero>[零〇])(?=[，。；、,;)）\s])"
)  # no lookbehinds: they make the engine try every alternative at every position; _read_number checks
NOT_BEFORE_ARABIC = frozenset("第届")  # 第3次, 八届7次全会: ordinals
NOT_BEFORE_CHINESE = frozenset("第届数几若" + _CN)  # 第二, 十九届四中, 数十家 (vague), inside a longer numeral
_NOT_BEFORE_ROUND = NOT_BEFORE_CHINESE | frozenset("0123456789.")
_APPROXIMATION_WORDS = frozenset("近逾超约")
BARE_CHINESE_NOT_COUNTS = frozenset({"一", "二", "零", "〇"})  # 一是, 统一, 二次开发, 零件: counting uses 两
# A bare 一/二 counts only in 增长一倍, in a range (一至两名) or when its unit ends the clause (示范村一个。),
# and not after a determiner (同一个, 每一个) nor in 一起 / 一块 (together), 一批 (a vague batch) or 一次.
_CLAUSE_END_CHARS = frozenset("，。；、,;！？!?")
_DETERMINERS = frozenset("同每任哪这那某其另唯逐统")
_NOT_COUNTED_AFTER_BARE = frozenset({"起", "块", "批", "次"})  # 一次 ends slogans: 最多跑一次。
_MAY_COUNT_BARE = frozenset("一二")
RANGE_JOIN_RE = re.compile(rf"[ ]?[{_RANGE_JOIN}][ ]?")
RANGE_START_RE = re.compile(rf"(?:\d+(?:\.\d+)?|[{_CN}]+)[ ]?[{_RANGE_JOIN}]$")  # the 5至 before 8个百分点
_ORDINAL_RANGE_RE = re.compile(rf"第[\d{_CN}]+[ ]?[{_RANGE_JOIN}][ ]?$")  # 第1至3名: both ends are ordinals
MAX_DIGITS = 15

# Characters that glue a number into an identifier, version, formula or range of dates.
_GLUE_BEFORE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+-/._#@&=\\×*")
_GLUE_AFTER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+_@#&=\\×*")  # 7×24小时服务: a name

# ------------------------------------------------------------------------------------- masked spans

_MASK_RES = (
    re.compile(r"“[^“”\n]{1,30}”|\"[^\"\n]{1,30}\"|‘[^‘’\n]{1,30}’|「[^「」\n]{1,30}」|『[^『』\n]{1,30}』"),
    re.compile(r"《[^《》\n]{1,80}》|〈[^〈〉\n]{1,60}〉"),
    re.compile(r"[〔\[［(（【]\s*(?:19|20)\d\d\s*[〕\]］)）】]\s*(?:第\s*)?\d+\s*号"),  # 〔2022〕1117号
    re.compile(  # the lookahead on the labels' first characters spares trying every label at every position
        r"(?=[信索发成生印公更来文字联咨监投电传邮访浏点阅网分主统编])(?:(?:信息)?索引号|(?:信息提供|发布|成文|生成|印发|公开|更新)(?:日期|时间)|来源|发文字号|文号|字号"
        r"|(?:联系|咨询|监督|投诉)?电话|传真|邮编|邮箱|访问量|浏览量|浏览次数|点击量|点击数|阅读量|阅读数"
        r"|网站标识码|分类号|主题分类|统一编码|编号)"
        r"[ ]*[:：][ ]*[\w\-/.:@ ]{0,40}"
    ),
    re.compile(r"ICP[备证]?\s*\d+号(?:-\d+)?|公网安备\s*\d+号|网站标识码\s*[:：]?\s*\w+"),
    re.compile(  # set phrases of Chinese political vocabulary whose numbers name, not count
        r"三项制度|八项规定|两个维护|两个确立|四个意识|四个自信|四个全面|三个代表|三个区分开来|三大攻坚战"
        r"|两个责任|五大发展理念|两个毫不动摇|三个务必|三重一大|三番五次|四个一|五个一|五位一体|四位一体"
    ),
)

# ---------------------------------------------------------------------------------- clause geometry

# One leading character class (no alternation of classes) keeps the regex engine on its fast path.
DELIMITER_RE = re.compile(r"[，。；！？、,;!?:：|\n\r\t\u3000]|  +")
SENTENCE_END_RE = re.compile(r"[。；！？;!?\n\r\u3000]|  +")
_OPEN_BRACKETS = "（(【["
_CLOSE_BRACKETS = "）)】]"

# ------------------------------------------------------------------------------- context vocabulary

QUALIFIERS: dict[str, str] = {
    "余": "more_than", "多": "more_than", "超": "more_than", "超过": "more_than", "超过了": "more_than",
    "超出": "more_than", "逾": "more_than", "大于": "more_than", "高于": "more_than", "多于": "more_than",
    "约": "about", "约为": "about", "大约": "about", "大概": "about", "左右": "about", "上下": "about",
    "许": "about", "近": "nearly", "将近": "nearly", "接近": "nearly", "近乎": "nearly",
    "以上": "at_least", "不少于": "at_least", "不低于": "at_least", "至少": "at_least", "不止": "at_least",
    "以下": "at_most", "以内": "at_most", "不超过": "at_most", "不高于": "at_most", "最多": "at_most",
    "至多": "at_most", "不大于": "at_most", "不足": "less_than", "不到": "less_than", "少于": "less_than",
    "低于": "less_than", "小于": "less_than", "未满": "less_than", "未达": "less_than", "内": "at_most",
}  # fmt: skip
_SUFFIXES = ("余", "多", "以上", "以下", "以内", "左右", "上下", "许", "内")
_PREFIX_QUALIFIERS = [q for q in QUALIFIERS if q not in _SUFFIXES]
# Words that end in a qualifier's character without being one: 节约, 签约, 违约, 最近, 附近, 赶超.
_WORD_ENDS = {"约": "节制签违履特预合公条邀相践", "近": "最附邻贴靠亲", "超": "赶高"}
PREFIX_QUALIFIER_RE = re.compile(rf"(?:{_alternation(_PREFIX_QUALIFIERS)})[ ]?$")  # see _prefix_qualifier
# An adverb bound may sit before the verb: 至少培育5名, 至多有三名.
ADVERB_QUALIFIER_RE = re.compile(r"(?P<q>至少|至多|最多)[\u4e00-\u9fff]{1,4}$")
SUFFIX_QUALIFIER_RE = re.compile(r"以上|以下|以内|左右|上下|(?P<within>内)")  # 内 only after a duration: 3天内

_UP = "增长|增加|提高|上升|提升|上涨|提速|增幅为|增幅|增|涨"
_DOWN = "下降|减少|降低|下滑|回落|缩减|压减|压缩|缩短|精简|节约|节省|减幅为|减幅|降幅为|降幅|减|降"
CHANGE_VERB_RE = re.compile(rf"(?:(?P<up>{_UP})|(?P<down>{_DOWN}))(?:了|达到|达)?$")
# A percentage after a change verb and its object is the size of the change (减少申报材料62%, 压缩办理时间71%),
# unless the object is itself a rate or a level is reached (提高满意率到95%, 降低至3%).
CHANGE_OBJECT_RE = re.compile(
    r"(?:(?P<up>增长|增加|提高|提升|上升)|(?P<down>下降|减少|降低|压减|压缩|缩短|缩减|精简|节约|节省))了?"
    r"[^\d至到为达是率比度占]{1,8}$"
)
COMPARISON_RE = re.compile(r"同比|环比|较上|比上|较去年|比去年|较同期|比同期|较\d{4}|比\d{4}|较前|比前")
# A bound stated in the number's own clause (控制在5%以下, 不低于90%) or an aim anywhere earlier in its sentence.
CLAUSE_TARGET_RE = re.compile(r"控制在|不得|不低于|不高于|不超过|不少于|应当|应不|应达|须达|要求达到|考核指标|指标要求")
SENTENCE_TARGET_RE = re.compile(r"有望|目标|力争|争取|确保|预计|预期|计划到|拟")
_CONNECTOR_TAIL_RE = re.compile(r"(?:共计|合计|总计|累计|共|计|达到|达|为|是|均为|均|有|占|仅|只|已|应)+$")
_CHANGE_TAIL_RE = re.compile(
    rf"(?:同比|环比|较上年度?|比上年度?|较去年|比去年|较同期|比同期|分别)*(?:{_UP}|{_DOWN})?(?:了|达到|达)?$"
)
_LEADING_NOISE_RE = re.compile(
    r"^(?:(?:19|20)\d\d年度?(?:以来)?|其中|并且|并|同时|以及|及|和|另有|另|还|共|累计|全年|今年|年内"
    r"|本年度|全[省市区县州盟旗镇乡]|本级)+"
)
# Where the noun phrase after a number ends: the next number, a bracket, a particle or a verb that starts
# the predicate. Single characters that also occur inside nouns (公共, 对象, 行为) are left out.
_AFTER_STOP_RE = re.compile(
    r"[\d（(【\[）)】\]]|的|与|和|被|均|已|将|并|在(?![线册编岗职校押建办途])|因为|因涉嫌|由于|通过|实现|得到"
    r"|获得|进行|开展|参加|参与|成立|结对|第一时间|深入|涉及|累计|同比|较上|提出|启动"
)
MAX_SUBJECT_AFTER = 16

# ------------------------------------------------------------------------------------------- kinds

_RATE = frozenset(RATE_UNITS)
_DURATION = frozenset(DURATION_UNITS) | {RUN_UNIT, DAY_UNIT}
_MONEY = frozenset(MONEY_UNITS)
_RATIO = frozenset(RATIO_UNITS) | {":1"}


@dataclass
class _Geometry:
    """Positions computed once per text so each number looks up its clause with a bisect."""

    delimiters: list[int]
    sentence_ends: list[int]
    mask_starts: list[int]
    mask_ends: list[int]

    def masked(self, pos: int) -> bool:
        """Return whether `pos` falls inside a masked span (quotation, title, furniture ...)."""
        i = bisect_right(self.mask_starts, pos) - 1
        return i >= 0 and pos < self.mask_ends[i]

    def clause_start(self, pos: int) -> int:
        """Return where the clause holding `pos` starts: after the last delimiter before it."""
        i = bisect_left(self.delimiters, pos) - 1
        return self.delimiters[i] + 1 if i >= 0 else 0

    def clause_end(self, pos: int, limit: int) -> int:
        """Return the position of the first delimiter at or after `pos` (or `limit`)."""
        i = bisect_left(self.delimiters, pos)
        return self.delimiters[i] if i < len(self.delimiters) else limit

    def sentence_start(self, pos: int) -> int:
        """Return where the sentence holding `pos` starts."""
        i = bisect_left(self.sentence_ends, pos) - 1
        return self.sentence_ends[i] + 1 if i >= 0 else 0


def _geometry(t: str) -> _Geometry:
    """Return delimiter, sentence and masked positions of the normalised text."""
    spans = sorted((m.start(), m.end()) for r in _MASK_RES for m in r.finditer(t))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return _Geometry(
        delimiters=[m.end() - 1 for m in DELIMITER_RE.finditer(t)],
        sentence_ends=[m.end() - 1 for m in SENTENCE_END_RE.finditer(t)],
        mask_starts=[s for s, _ in merged],
        mask_ends=[e for _, e in merged],
    )


@dataclass
class _Number:
    """A numeral found in the text, before it is judged a fact."""

    start: int
    end: int  # end of the numeral as written, a multiplier inside it included (十万)
    value: float  # without that multiplier
    multiplier: str
    word: bool = False  # a bare 一/二, usually part of a word (一是, 统一, 二次开发): see _bare_word_counts


def _numbers(t: str) -> Iterator[tuple[_Number, re.Match[str]]]:
    """Yield the numerals of `t` that parse, with the match that found them."""
    for m in NUMBER_RE.finditer(t):
        number = _read_number(m, t)
        if number is not None:
            yield number, m


def _read_number(m: re.Match[str], t: str) -> _Number | None:
    """Return the numeral a NUMBER_RE match holds, or None when it is not a quantity's numeral."""
    before = t[m.start() - 1] if m.start() else ""
    if (m["ar"] and before in NOT_BEFORE_ARABIC) or (m["cn"] and before in NOT_BEFORE_CHINESE):
        return None
    if m["zero"] and before != "为":
        return None
    if before in _RANGE_JOIN and _ORDINAL_RANGE_RE.search(t, max(0, m.start() - 12), m.start()):
        return None
    try:
        if m["pct"]:
            inner = m["pctnum"]
            value = parse_arabic(inner) if inner[0].isdigit() else parse_chinese(inner)
            return _Number(m.start(), m.end(), value, "")
        if m["ar"]:
            digits = m["ar"].translate(THOUSANDS_SEPARATORS)
            if len(digits.split(".")[0]) > MAX_DIGITS:
                return None
            return _Number(m.start(), m.end(), float(digits), "")
        if m["zero"]:
            return _Number(m.start(), m.end(), 0.0, "")
        cn = m["cn"]
        if cn[0] in _ROUND_STARTS:
            if not _round_number_stated(t, m.start(), m.end()):
                return None
            cn = "一" + cn  # 近千 -> 1000; 逾万 -> 1 and 万, as 1万
        body, factor = split_multiplier(cn)
        multiplier = cn[len(body) :]
        if _digit_by_digit(body):
            return None
        word = body in BARE_CHINESE_NOT_COUNTS and not multiplier
        return _Number(m.start(), m.end(), parse_chinese(body), multiplier if factor != 1 else "", word)
    except ValueError:
        return None


def _round_number_stated(t: str, start: int, end: int) -> bool:
    """Return whether a numeral starting with 百/千/万/亿 is a number: 近千件, 逾百家, 百余人, 万余元.

    Not in 数千件, 上千人, 千家万户, 签约万家 (约 ends a word there) nor in 1.2万余份 (万 multiplies 1.2).
    """
    before = t[start - 1] if start else ""
    if before in _APPROXIMATION_WORDS:
        return start < 2 or t[start - 2] not in _WORD_ENDS.get(before, "")
    return end < len(t) and t[end] in "余多" and before not in _NOT_BEFORE_ROUND


def _digit_by_digit(body: str) -> bool:
    """Return whether a Chinese numeral of several characters has no place word (十百千万亿).

    Such numerals are names, years or vague pairs, not counts: 三八节, 二〇二四年, 两三名, 七八家.
    """
    whole = body.partition("点")[0]
    return len(whole) > 1 and _CN_PLACES.isdisjoint(whole)


def _glued(t: str, start: int, end: int) -> bool:
    """Return whether an Arabic number is part of an identifier, formula, date or version.

    A hyphen between two digit runs is left to the unit: 10-15个工作日 is a range, 2025-02-12 and
    0731-8888567 have no unit after their parts, so they give no facts anyway.
    """
    before = t[start - 1] if start else ""
    after = t[end] if end < len(t) else ""
    if before == "-" and start >= 2 and t[start - 2].isdigit():
        before = ""
    if before in _GLUE_BEFORE or after in _GLUE_AFTER:
        return True
    return after in "/." and end + 1 < len(t) and t[end + 1].isdigit()


@dataclass
class _Unit:
    """What follows a numeral: unit as written, base unit, multiplier, and where it ends."""

    unit: str
    unit_base: str
    factor: float
    end: int
    approx: str  # 余/多 written between number and unit


def _unit_after(t: str, number: _Number, chinese: bool, percent_word: str) -> _Unit | None:
    """Return the unit written after `number`, or None when nothing makes it a quantity."""
    if percent_word:
        return _Unit("‰" if percent_word == "千" else "%", "‰" if percent_word == "千" else "%", 1.0,
                     number.end, "")
    if not chinese:
        ratio = RATIO_TAIL_RE.match(t, number.end)
        if ratio:
            return _Unit(":1", ":1", 1.0, ratio.end(), "")
    tail = (UNIT_AFTER_CHINESE_RE if chinese else UNIT_AFTER_ARABIC_RE).match(t, number.end)
    mult = number.multiplier or (tail["mult"] or "")
    base = tail["unit"] or ""
    approx = tail["q1"] or tail["q2"] or ""
    if base in UNIT_WORD_STARTS and tail.end("unit") < len(t) and t[tail.end("unit")] in UNIT_WORD_STARTS[base]:
        base = ""  # 10成员单位, 100周年: the unit starts a word here
    if chinese and base in NOT_AFTER_CHINESE and number.end - number.start == 1 and t[number.start] in _WORDY_ONES:
        base = ""  # 十分, 四周, 二期工程
    if not base and not mult:
        if t.startswith(RUN_UNIT, number.end) and t.endswith(RUN_WORD, max(0, number.start - 2), number.start):
            return _Unit(RUN_UNIT, RUN_UNIT, 1.0, number.end + 1, "")  # 连续四年
        if DAY_LIMIT_RE.match(t, number.end) and not t.endswith("月", 0, number.start):
            return _Unit(DAY_UNIT, DAY_UNIT, 1.0, number.end + 1, "")  # 15日内
        return None
    end = tail.end("unit") if base else tail.end("mult")
    return _Unit(mult + base, base, MULTIPLIERS.get(mult, 1.0), max(end, number.end), approx)


def _written_unit(t: str, number: _Number, m: re.Match[str]) -> _Unit | None:
    """Return the unit written right after a numeral; None when there is none or the number is an identifier."""
    if m["ar"] and _glued(t, number.start, number.end):
        return None
    return _unit_after(t, number, bool(m["cn"] or m["zero"]), m["pct"][0] if m["pct"] else "")


def _range_start_unit(t: str, number: _Number, own: _Unit | None) -> _Unit | None:
    """Return the unit of a range's first number, written once after the second (2至3名, 10-15个工作日).

    A multiplier of its own stays (1万至2万份 -> 万份). Its span reaches that unit. Plan periods and date
    windows (3至5年, 4月至5月, 2021—2025年) have no unit after the second number, so they stay non-facts.
    """
    join = RANGE_JOIN_RE.match(t, own.end if own else number.end)
    m = NUMBER_RE.match(t, join.end()) if join else None
    end = m and not m["pct"] and _read_number(m, t)  # 百分之 writes its unit before the number
    unit = end and _written_unit(t, end, m)
    if not unit or unit.unit_base in _RATIO or (own and not unit.unit_base):
        return None
    if own:
        return _Unit(own.unit + unit.unit_base, unit.unit_base, own.factor, unit.end, own.approx)
    return unit


def _bare_word_counts(t: str, number: _Number, unit: _Unit) -> bool:
    """Return whether a bare 一/二 with a unit is a count: 增长一倍, 示范村一个。 but not 一个中心, 同一个。

    零 never is: 零件 is a word and a zero count is written 为零 or 0.
    """
    if t[number.start] not in _MAY_COUNT_BARE:
        return False
    if unit.unit_base in RATIO_UNITS:
        return True
    after = t[unit.end] if unit.end < len(t) else ""
    before = t[number.start - 1] if number.start else ""
    return (
        after in _CLAUSE_END_CHARS
        and before not in _DETERMINERS
        and unit.unit_base not in _NOT_COUNTED_AFTER_BARE
    )


def _bare_count_allowed(t: str, number: _Number) -> bool:
    """Return whether a number without unit is stated as a value: 败诉案件为0，"""
    after = t[number.end] if number.end < len(t) else ""
    if not after or after not in "，。；、,;)）\n" and not after.isspace():
        return False
    before = t[max(0, number.start - 3) : number.start].rstrip()
    return before.endswith(("为", "是", "均为", "仅为"))


def _clause_start(t: str, geo: _Geometry, pos: int) -> int:
    """Return the clause start, also after an opening bracket that is still open at `pos`."""
    start = geo.clause_start(pos)
    segment = t[start:pos]
    opened = max(segment.rfind(c) for c in _OPEN_BRACKETS)
    if opened >= 0 and max(segment.rfind(c) for c in _CLOSE_BRACKETS) < opened:
        return start + opened + 1
    return start


def _prefix_qualifier(before: str) -> re.Match[str] | None:
    """Return the qualifier written right before a number (约300人), unless it ends a word (同比节约12%).

    Checked here rather than with lookbehinds in the regex, which make it several times slower.
    """
    m = PREFIX_QUALIFIER_RE.search(before)
    if m and m.start() and before[m.start() - 1] in _WORD_ENDS.get(m.group().strip(), ""):
        return None
    return m


def _without_prefix_qualifier(before: str) -> str:
    """Return `before` without the qualifier it ends with."""
    m = _prefix_qualifier(before)
    return before[: m.start()] if m else before


def _qualifier(before: str, approx: str, suffix: str) -> tuple[str, str]:
    """Return (qualifier enum, qualifier as written) from the words around the number."""
    m = _prefix_qualifier(before)
    adverb = ADVERB_QUALIFIER_RE.search(before, max(0, len(before) - 6)) if not m else None
    raw = m.group().strip() if m else adverb["q"] if adverb else approx or suffix
    return QUALIFIERS.get(raw, ""), raw


def _change_direction(before: str, unit_base: str) -> str:
    """Return up/down when the number is the size of a change (同比增长82.4%), else ""."""
    m = CHANGE_VERB_RE.search(before)
    if m and (unit_base in _RATE or unit_base in _RATIO or COMPARISON_RE.search(before)):
        return "up" if m["up"] else "down"
    m = CHANGE_OBJECT_RE.search(before) if unit_base in _RATE else None
    if m:
        return "up" if m["up"] else "down"
    return ""


def _kind(unit_base: str, direction: str) -> str:
    """Return the fact kind from its unit and whether it states a change."""
    if direction:
        return "change"
    if unit_base in _RATE:
        return "rate"
    if unit_base in _RATIO:
        return "ratio"
    if unit_base.endswith(tuple(_MONEY)):
        return "amount"
    if unit_base in _DURATION:
        return "duration"
    return "count"


def fact_kind(unit_base: str, direction: str = "") -> str:
    """The kind of a fact with this base unit and change direction: table cells follow the text's rules."""
    return _kind(unit_base, direction)


def _is_target(t: str, sentence_start: int, clause_start: int, clause_end: int) -> bool:
    """Return whether the number is a target or benchmark rather than an achieved result."""
    return bool(
        CLAUSE_TARGET_RE.search(t, clause_start, clause_end) or SENTENCE_TARGET_RE.search(t, sentence_start, clause_end)
    )


def _subject_before(before: str, kind: str) -> str:
    """Return the phrase before a number that names what it measures (新收行政复议案件960件)."""
    s = before.strip()
    s = _without_prefix_qualifier(s).strip()
    s = _CONNECTOR_TAIL_RE.sub("", s)
    if kind == "change":
        s = _CHANGE_TAIL_RE.sub("", s)
        s = _CONNECTOR_TAIL_RE.sub("", s)
    return _LEADING_NOISE_RE.sub("", s).strip(" “”\"")


def _subject_after(t: str, start: int, clause_end: int) -> tuple[str, int]:
    """Return the noun phrase right after a number's unit (上线147项惠民惠企事项) and where it ends."""
    if start < len(t) and t[start] == "的":
        start += 1
    end = min(clause_end, start + MAX_SUBJECT_AFTER)
    stop = _AFTER_STOP_RE.search(t, start, end) if end > start else None
    if stop:
        end = stop.start()
    return t[start:end].strip(" “”\""), end


def extract_facts(text: str) -> list[Fact]:
    """Return the numeric facts of a report text in reading order.

    section_id, indicator_id and fact_id are left empty for the later stages to fill.
    """
    if not isinstance(text, str):
        raise TypeError(f"extract_facts expects the report text as str, got {type(text).__name__}")
    t = normalize_width(text)
    geo = _geometry(t)
    facts: list[Fact] = []
    for number, m in _numbers(t):
        fact = _fact_at(text, t, geo, number, m, facts)
        if fact is not None:
            facts.append(fact)
    return facts


def _fact_at(
    text: str, t: str, geo: _Geometry, number: _Number, m: re.Match[str], previous: list[Fact]
) -> Fact | None:
    """Return the fact stated by `number`, or None when it is not a fact."""
    if geo.masked(number.start):
        return None
    unit = _written_unit(t, number, m)
    if unit is None or not unit.unit_base:
        unit = _range_start_unit(t, number, unit) or unit
    elif number.word and not _bare_word_counts(t, number, unit):
        return None
    if unit is None:
        if number.word or not _bare_count_allowed(t, number):
            return None
        unit = _Unit("", "", 1.0, number.end, "")
    if unit.end < len(t) and t[unit.end] in _GLUE_AFTER and unit.unit in ("", ":1"):
        return None
    suffix = SUFFIX_QUALIFIER_RE.match(t, unit.end)
    if suffix and suffix["within"] and unit.unit_base not in _DURATION:
        suffix = None  # 3个内设机构: 内 is a qualifier only in 3天内, 2个工作日内
    after_start = suffix.end() if suffix else unit.end

    clause_start = _clause_start(t, geo, number.start)
    before = t[clause_start : number.start]
    lead = RANGE_START_RE.sub("", before) if before and before[-1] in _RANGE_JOIN else before  # 增长5至8个百分点
    qualifier, qualifier_raw = _qualifier(lead, unit.approx, suffix.group() if suffix else "")
    direction = _change_direction(_without_prefix_qualifier(lead.rstrip()), unit.unit_base)
    kind = _kind(unit.unit_base, direction)

    clause_end = geo.clause_end(after_start, len(t))
    sentence_start = geo.sentence_start(number.start)
    subject, quote_end = _subject_after(t, after_start, clause_end)
    if not subject:
        subject, quote_end = _subject_before(before, kind), after_start
        if not subject and kind == "change" and previous and previous[-1].char_end > sentence_start:
            subject = previous[-1].subject
    return Fact(
        quote=text[clause_start:quote_end].strip(),
        subject=subject,
        value=number.value,
        unit=unit.unit,
        value_normalized=number.value * unit.factor,
        unit_base=unit.unit_base,
        qualifier=qualifier,
        qualifier_raw=qualifier_raw,
        kind=kind,
        direction=direction,
        is_target=_is_target(t, sentence_start, clause_start, clause_end),
        char_start=number.start,
        char_end=unit.end,
    )


# ------------------------------------------------------------------------------------ zero statements

# 零败诉, 无一败诉, 未发生败诉案件: a count of 0 written in words, the number researchers need. The fact spans
# the zero word; the noun after it (败诉) is what it counts.
ZERO_STATEMENT_RE = re.compile(
    r"(?P<zero>零|无一|未发生|未出现|没有发生|无)(?=(?:行政诉讼|行政应诉|诉讼)?(?P<noun>败诉)(?:案件|案例|情况)?"
    r"[，。；、,;！!\s)）])"
)
_ZERO_NOT_AFTER = frozenset("并从")  # 并无败诉之虞 is rare; 从无 is a habit, not a count of the year


def zero_facts(text: str) -> list[Fact]:
    """Counts of zero stated in words (零败诉, 无一败诉, 未发生败诉案件), as facts of value 0 in 件.

    Kept apart from extract_facts: the fact gold counts numerals only; the build adds these to the report's
    facts so that the indicator (行政诉讼败诉数 = 0) is stated."""
    facts = []
    for m in ZERO_STATEMENT_RE.finditer(normalize_width(text)):
        if m.start() and text[m.start() - 1] in _ZERO_NOT_AFTER:
            continue
        clause_start = max(max(text.rfind(c, 0, m.start()) for c in "，。；,;！!\n") + 1, 0)
        sentence_start = max(max(text.rfind(c, 0, m.start()) for c in "。；;！!？?\n") + 1, 0)
        target = bool(SENTENCE_TARGET_RE.search(text, sentence_start, m.end()) or CLAUSE_TARGET_RE.search(
            text, clause_start, m.end()))  # 力争零败诉 is an aim
        facts.append(Fact(
            quote=text[clause_start:m.end("noun")].strip(), subject=m["noun"], value=0.0, unit="件",
            value_normalized=0.0, unit_base="件", qualifier="", qualifier_raw="", kind="count", direction="",
            is_target=target, char_start=m.start(), char_end=m.end()))
    return facts
