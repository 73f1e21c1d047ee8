"""Pinyin keys of a person's name: for search (full pinyin, initials) and for the roster's order.

Chinese users look a name up by its surname's syllable first, then the given name's: 陈 (chen)
before 程 (cheng), 李 (li) before 刘 (liu). Sorting the concatenated pinyin gets that wrong
("chenwei" > "chengang"), so the order key pads every syllable to the longest a syllable can be
(six letters, "zhuang") with "0", which sorts before every letter in any collation.
"""

from pypinyin import lazy_pinyin

# Surnames whose reading differs from the character's everyday reading (曾 is zeng, not ceng).
SURNAME_READINGS = {
    "曾": "zeng", "翟": "zhai", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha",
    "区": "ou", "乐": "yue", "盖": "ge", "缪": "miao", "覃": "qin", "柏": "bai", "秘": "bi",
    "尉": "yu", "员": "yun", "宓": "mi", "繁": "po", "种": "chong", "重": "chong",
    "万": "wan", "沈": "shen", "贾": "jia", "褚": "chu", "尤": "you", "句": "gou", "阚": "kan",
}
SYLLABLE_WIDTH = 6
SORT_LENGTH = 240  # Person.name_sort: a 40-character name at six letters a syllable


def syllables(name):
    """The name's syllables in lower case, the surname read as a surname."""
    found = lazy_pinyin(name, errors="ignore")
    if name and name[0] in SURNAME_READINGS and found:
        found[0] = SURNAME_READINGS[name[0]]
    return [s.lower() for s in found if s]


def sort_key(name):
    """The roster's order key: 陈伟 -> 'chen00wei000', before 程刚 -> 'cheng0gang00'."""
    return "".join(s[:SYLLABLE_WIDTH].ljust(SYLLABLE_WIDTH, "0") for s in syllables(name))[:SORT_LENGTH]


def name_keys(name):
    """(full pinyin, initials, order key) of a name: 张三 -> ('zhangsan', 'zs', 'zhang0san000')."""
    found = syllables(name)
    return "".join(found)[:120], "".join(s[0] for s in found)[:20], sort_key(name)
