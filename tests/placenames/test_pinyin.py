"""Place-name pinyin: words joined, capitalised, no tones; edited pinyin split back into syllables."""

import pytest

from placenames.pinyin import romanize, segment, spell, to_simplified


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        ("岳麓区", "Yuelu Qu"),
        ("长沙市", "Changsha Shi"),
        ("湖南省", "Hunan Sheng"),
        ("重庆市", "Chongqing Shi"),
        ("西安市", "Xi'an Shi"),
        ("吕梁市", "Lüliang Shi"),
        ("易县", "Yixian"),
        ("宁夏回族自治区", "Ningxia Huizu Zizhiqu"),
        ("湘西土家族苗族自治州", "Xiangxi Tujiazu Miaozu Zizhizhou"),
        ("新疆维吾尔自治区", "Xinjiang Weiwu'er Zizhiqu"),
        ("内蒙古自治区", "Neimenggu Zizhiqu"),
        ("张家湾村民委员会", "Zhangjiawan Cunmin Weiyuanhui"),
        ("塘基上（青山里）村", "Tangjishang(Qingshanli) Cun"),
        ("爱晚亭", "Aiwan Ting"),
    ],
)
def test_names_are_spelt_as_place_names(name, pinyin):
    assert romanize(name) == pinyin


def test_syllables_feed_the_initials():
    assert spell("岳麓区") == ("Yuelu Qu", "yue lu qu")
    assert spell("吕梁市")[1] == "lv liang shi"


def test_edited_pinyin_is_split_into_syllables():
    assert segment("Lu'an Shi") == "lu an shi"
    assert segment("Lüliang Shi") == "lv liang shi"
    assert segment("Qxz") is None


def test_traditional_characters_become_simplified():
    assert to_simplified("嶽麓區") == "岳麓区"
    assert to_simplified("长沙") == "长沙"


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        ("六安市", "Lu'an Shi"),
        ("蚌埠市", "Bengbu Shi"),
        ("单县", "Shanxian"),
        ("番禺区", "Panyu Qu"),
        ("洪洞县", "Hongtong Xian"),
        ("长治市", "Changzhi Shi"),
        ("六合区", "Luhe Qu"),
        ("珲春市", "Hunchun Shi"),
        ("朝阳区", "Chaoyang Qu"),
    ],
)
def test_polyphonic_characters_are_read_as_the_place_name_list_says(name, pinyin):
    """The checked-in readings (placenames/readings.csv, each with its source) override the dictionary."""
    assert romanize(name) == pinyin
