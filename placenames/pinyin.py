"""Hanyu Pinyin in place-name form (GB/T 16159: words joined, capitalised, no tones) and t2s."""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache
from pathlib import Path

import opencc
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
from pypinyin.contrib.tone_convert import to_normal
from pypinyin.seg import mmseg

# Generic parts (通名), longest first; multi-word ones are spelt as several words.
GENERICS = {
    "特别行政区": ("特别", "行政区"),
    "居民委员会": ("居民", "委员会"),
    "村民委员会": ("村民", "委员会"),
    "街道办事处": ("街道", "办事处"),
}
GENERIC_SUFFIXES = sorted(
    [
        *GENERICS,
        *"自治区 自治州 自治县 自治旗 民族乡 民族苏木 苏木 嘎查 地区 林区 特区 矿区 新区 街道 社区 "
        "村委会 居委会 开发区 管理区 农场 林场 牧场 大道 胡同 大桥 水库 公园 广场 "
        "书院 码头 机场 隧道 省 市 县 区 旗 盟 镇 乡 村 屯 街 路 巷 桥 "
        "河 江 湖 山 岛 亭 寺 庙 塔 阁 站 港 渠 闸 坝 峰 岭".split(),
    ],
    key=len,
    reverse=True,
)
# Suffixes naming the committee or office of a place: the place's own generic part precedes them.
_ORGANISATIONS = {"居民委员会", "村民委员会", "居委会", "村委会", "街道办事处"}
ETHNIC_GROUPS = sorted(
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 "
    "东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 "
    "乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各".split(),
    key=len,
    reverse=True,
)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_GENERIC = re.compile("(?s).(" + "|".join(GENERIC_SUFFIXES) + ")$")
_CAPITAL = re.compile(r"(?:^|(?<=[(（]))[a-zü]")
_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|.", re.DOTALL)


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert traditional characters to simplified (OpenCC t2s); other text is unchanged."""
    return _converter().convert(text)


def has_han(text: str) -> bool:
    """Tell whether ``text`` contains Chinese characters."""
    return _HAN.search(text) is not None


@cache
def _toneless(syllable: str) -> str:
    return to_normal(syllable)


READINGS = Path(__file__).with_name("readings.csv")
"""Place-name readings of polyphonic characters (六安 lu an, 单县 shan xian …), each with its source."""


@cache
def readings() -> dict[str, list[str]]:
    """Return the checked-in readings: word → its syllables (ü as v)."""
    with READINGS.open(encoding="utf-8", newline="") as f:
        return {r["word"]: r["syllables"].replace("ü", "v").split() for r in csv.DictReader(f)}


@cache
def _reading_words() -> re.Pattern:
    return re.compile("|".join(sorted(map(re.escape, readings()), key=len, reverse=True)))


def _items(name: str) -> list[str]:
    """Return one lowercase toneless syllable per character (ü as v); other characters as themselves."""
    # pypinyin's phrase and character dictionaries and its segmenter, used directly: the same data
    # ``lazy_pinyin`` uses, at a fifth of the cost (the seed spells 660,000 names).
    out: list[str] = []
    for run in _RUNS.findall(name):
        if not _HAN.match(run):
            out.append(unicodedata.normalize("NFKC", run).lower())  # full-width （Ａ１） → ASCII
            continue
        for word in _cut(run):
            if isinstance(word, list):  # a place-name reading of the list
                out.extend(word)
                continue
            phrase = PHRASES_DICT.get(word)
            if phrase is not None and len(phrase) == len(word):
                out.extend(_toneless(p[0]) for p in phrase)
                continue
            for char in word:
                value = PINYIN_DICT.get(ord(char))
                out.append(_toneless(value.split(",")[0]) if value else char)
    return out


def _cut(run: str) -> list:
    """Segment a run of Han characters; a word of the readings list comes as its syllables."""
    parts: list = []
    start = 0
    for found in _reading_words().finditer(run):
        parts.extend(mmseg.seg.cut(run[start : found.start()]))
        parts.append(readings()[found[0]])
        start = found.end()
    parts.extend(mmseg.seg.cut(run[start:]))
    return parts


def _strip_ethnic(specific: str) -> tuple[str, list[str]]:
    """Split trailing ethnic-group names (苗族, 维吾尔 …) off the specific part of an autonomous name."""
    words: list[str] = []
    while True:
        for group in ETHNIC_GROUPS:
            for token in (group + "族", group):
                if specific.endswith(token) and len(specific) - len(token) >= 2:
                    words.insert(0, token)
                    specific = specific[: -len(token)]
                    break
            else:
                continue
            break
        else:
            return specific, words


def split_words(name: str) -> list[str]:
    """Split a name into its specific part and generic words (岳麓区 → 岳麓, 区)."""
    tail: list[str] = []
    rest = name
    while len(rest) >= 2:
        found = _GENERIC.search(rest)
        if found is None:
            break
        generic = found[1]
        tail[:0] = GENERICS.get(generic, (generic,))
        rest = rest[: -len(generic)]
        if generic.startswith(("自治", "民族")):
            rest, ethnic = _strip_ethnic(rest)
            tail[:0] = ethnic
        if generic not in _ORGANISATIONS:
            break
    words = [rest, *tail]
    if len(words) > 1 and len(words[0]) == 1 and has_han(words[0]):
        words[:2] = [words[0] + words[1]]
    return [w for w in words if w.strip()]


def _spell(items: list[str]) -> str:
    """Spell one word's items: syllables joined, apostrophe before a/o/e, first letter capitalised."""
    out = ""
    for item in items:
        if out and out[-1].isalpha() and item[0] in "aoe":
            out += "'"
        out += item.replace("v", "ü") if len(item) > 1 and item[0] in "ln" else item
    return _CAPITAL.sub(lambda m: m[0].upper(), out)


def spell(name: str) -> tuple[str, str]:
    """Return (place-name pinyin, search syllables) of a name: 岳麓区 → ("Yuelu Qu", "yue lu qu")."""
    items = _items(name)
    words, start = [], 0
    for word in split_words(name):
        start = name.index(word, start)
        words.append(_spell([i for i in items[start : start + len(word)] if i.strip()]))
        start += len(word)
    syllables = " ".join(_tokens(items))
    return " ".join(w for w in words if w), syllables


def _tokens(items: list[str]) -> list[str]:
    """Group the per-character items into syllables, runs of Latin letters or digits kept whole."""
    tokens: list[str] = []
    run = ""
    for item in items:
        if len(item) == 1 and item.isascii() and item.isalnum():
            run += item
            continue
        if run:
            tokens.append(run)
            run = ""
        if item.isalpha():
            tokens.append(item)
    return [*tokens, run] if run else tokens


def romanize(name: str) -> str:
    """Return the place-name pinyin of ``name`` (岳麓区 → "Yuelu Qu", 西安市 → "Xi'an Shi")."""
    return spell(name)[0]


@cache
def _known_syllables() -> frozenset[str]:
    """Every toneless syllable pypinyin knows, ü written v."""
    return frozenset(
        to_normal(p).replace("ü", "v") for value in PINYIN_DICT.values() for p in value.split(",")
    )


def segment(pinyin: str) -> str | None:
    """Split edited pinyin into syllables ("Lu'an Shi" → "lu an shi"); None if it cannot be split."""
    known = _known_syllables()
    out: list[str] = []
    for chunk in re.split(r"[\s'’()·.-]+", pinyin.lower().replace("ü", "v")):
        if not chunk:
            continue
        if chunk.isdigit():
            out.append(chunk)
            continue
        parts = _segment_chunk(chunk, known)
        if parts is None:
            return None
        out.extend(parts)
    return " ".join(out)


def _segment_chunk(chunk: str, known: frozenset[str]) -> list[str] | None:
    """Longest-first segmentation with backtracking."""
    if not chunk:
        return []
    for size in range(min(6, len(chunk)), 0, -1):
        head = chunk[:size]
        if head in known and (rest := _segment_chunk(chunk[size:], known)) is not None:
            return [head, *rest]
    return None


def spell_many(names: list[str]) -> list[tuple[str, str, str]]:
    """Return (name, pinyin, syllables) for each name (a picklable unit of work for a process pool)."""
    return [(name, *spell(name)) for name in names]
