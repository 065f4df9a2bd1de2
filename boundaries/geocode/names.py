"""How people write division names: the text normalised, and each name's shorter forms.

An address is matched after NFKC (full-width digits, letters and punctuation become ASCII),
OpenCC's traditional-to-simplified conversion and the removal of spaces and punctuation. A
division is found by its full name or by its name without the administrative suffix
(长沙县 → 长沙, 湘西土家族苗族自治州 → 湘西, 广西壮族自治区 → 广西); a shorter form needs two
characters (沙县 has none).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import opencc

# The 55 minority nationalities, as they appear before 自治区/州/县/旗 and 民族乡 (each + 族).
_PEOPLES = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 "
    "东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 "
    "俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各"
).split()
_NATIONALITIES = re.compile("(?:(?:" + "|".join(sorted(_PEOPLES, key=len, reverse=True)) + ")族)+$")

SUFFIXES = {
    "province": ("特别行政区", "自治区", "省", "市"),
    "prefecture": ("自治州", "地区", "盟", "市"),
    "county": ("自治县", "自治旗", "新区", "林区", "特区", "县", "区", "市", "旗"),
    "town": ("街道办事处", "地区办事处", "办事处", "街道", "民族乡", "民族苏木", "苏木", "镇", "乡"),
    "village": ("村民委员会", "居民委员会", "村委会", "居委会", "委员会"),
}
"""Administrative suffixes by level, longest first where one ends another."""

SUFFIX_CHARS = frozenset("省市县区旗州盟")
"""Characters that end a county or higher name: one typed in place of another is consumed."""

TOWN_STARTS = ("街道", "镇", "乡", "村", "社区")
"""What follows a stem when the name written is a town's or a village's (新华街道 is no 新华区)."""

_DROP = re.compile(r"[\s,，、;；:：。.·•\-—–_/\\|()（）\[\]【】{}<>《》\"'“”‘’!！?？#＃*]+")
_PREFIXES = ("中华人民共和国", "中国")


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Return the address as matched: NFKC, simplified characters, no spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", text)
    folded = _DROP.sub("", _t2s().convert(folded))
    for prefix in _PREFIXES:
        if folded.startswith(prefix) and len(folded) > len(prefix):
            return folded[len(prefix) :]
    return folded


def stem(name: str, level: str) -> str | None:
    """Return the name without its administrative suffix (and nationalities), or None if too short."""
    for suffix in SUFFIXES[level]:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            if suffix.startswith(("自治", "民族")) or suffix == "乡":
                base = _NATIONALITIES.sub("", base) or base
            if level == "province" and suffix == "自治区":
                base = _NATIONALITIES.sub("", base) or base
            return base if len(base) >= 2 and base != name else None
    return None


def forms(name: str, level: str) -> list[tuple[str, str]]:
    """Return (key, kind) pairs a division is found by: its ``full`` name and ``short`` forms."""
    out = [(name, "full")]
    short = stem(name, level)
    if short is not None:
        out.append((short, "short"))
        if level == "village":  # 雷锋村村民委员会 → 雷锋村 → 雷锋
            shorter = next((short[: -len(s)] for s in ("社区", "村") if short.endswith(s)), None)
            if shorter and len(shorter) >= 2:
                out.append((shorter, "short"))
    return out


_PLACES = ("大道", "大街", "胡同", "小区", "花园", "大厦", "广场", "公园", "大学", "中学", "小学", "医院",
           "宾馆", "酒店", "市场", "商场", "工业园", "新村", "家园")  # fmt: skip


def street_follows(text: str, end: int) -> bool:
    """Tell whether the text at ``end`` goes on as a street or a place (北京路, 幸福小区, not 街道)."""
    nxt = text[end : end + 2]
    if not nxt:
        return False
    if nxt[0] in "路巷弄":
        return True
    return (nxt[0] == "街" and nxt != "街道") or text.startswith(_PLACES, end)
