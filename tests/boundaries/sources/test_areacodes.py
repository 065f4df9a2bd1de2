"""The area-diff reader: dates, selectors and the spec's selection steps."""

from datetime import date

import pytest

from boundaries.errors import SourceDataError
from boundaries.sources.areacodes import Selection, parse_cn_date, parse_diff


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一九八五年四月十五日", date(1985, 4, 15)),
        ("一九九四年十二月十七日", date(1994, 12, 17)),
        ("二〇〇一年二月二十六", date(2001, 2, 26)),
        ("2016年6月8日", date(2016, 6, 8)),
        ("据推测", None),
        ("2016年2月30日", None),
    ],
)
def test_official_dates_in_both_writings_parse(text, expected):
    assert parse_cn_date(text) == expected


def test_description_metadata_and_selectors_are_read():
    lines = parse_diff(
        "## 国务院关于同意甘肃省撤销武威县设立武威市的批复\n"
        "# 文号：（85）国函字53号\n"
        "# 日期：一九八五年四月十五日\n"
        "#\n"
        "# 同意撤销武威县，设立武威市。\n"
        "-622321 武威县>武威市\n"
        "+432901 永州市<..!,零陵县,东安县?\n"
    )
    first, second = lines
    assert (first.op, first.code, first.name, first.direction) == ("-", "622321", "武威县", ">")
    assert first.description.doc_number == "（85）国函字53号"
    assert first.description.dates() == [date(1985, 4, 15)]
    assert first.description.title.startswith("国务院关于同意甘肃省")
    assert [(s.value, s.flag, s.enabled) for s in second.selectors] == [
        ("..", "!", True),
        ("零陵县", "", True),
        ("东安县", "?", False),
    ]


def test_a_malformed_line_is_reported_with_file_and_line():
    with pytest.raises(SourceDataError, match=r"x\.diff line 2"):
        parse_diff("# c\n-62232 短码>_\n", "x.diff")


def test_ambiguous_names_are_qualified_by_the_parent_name():
    source = {"140000": "山西省", "142500": "晋东南地区", "142501": "晋城市"}
    target = {
        "140000": "山西省",
        "140500": "晋城市",
        "140502": "城区",
        "140511": "郊区",
        "140400": "长治市",
        "140411": "郊区",
    }
    sel = Selection(target)
    from boundaries.sources.areacodes import Selector

    assert sel.select(Selector("晋城市城区"), "142501", "晋城市", source) == "140502"
    assert sel.select(Selector("晋城市郊区"), "142501", "晋城市", source) == "140511"
    # "郊区" alone is ambiguous: the current record's parent (长治市) qualifies it.
    assert sel.select(Selector("_"), "140411", "郊区", target) == "140411"
    with pytest.raises(SourceDataError, match="does not select one record"):
        sel.select(Selector("西城区"), "142501", "晋城市", source)
