"""Believable Chinese names for demo people, drawn from weighted lists (Shanxi flavour)."""

# Common surnames with rough weights; the Shanxi coalfields add 郭、武、闫、贾、韩、牛、
# 乔、霍、申、原、靳 well above their national rank. 曾 and 翟 are left out: pypinyin reads
# them as ceng/di out of context, so pinyin search would miss them (see roster.pinyin).
SURNAMES = {
    "王": 90, "李": 85, "张": 80, "刘": 70, "赵": 45, "杨": 40, "郭": 38, "陈": 30,
    "武": 28, "闫": 26, "贾": 24, "韩": 24, "梁": 22, "高": 22, "马": 20, "孙": 18,
    "吴": 16, "周": 16, "胡": 15, "田": 15, "冯": 15, "程": 14, "段": 14, "牛": 13,
    "乔": 13, "宋": 12, "任": 12, "范": 12, "郝": 12, "史": 11, "薛": 11, "孟": 10,
    "秦": 10, "常": 10, "霍": 10, "申": 9, "原": 8, "靳": 8, "卫": 7, "温": 7,
    "徐": 9, "朱": 8, "何": 7, "许": 7, "曹": 7, "董": 7, "魏": 7, "白": 7,
    "吕": 6, "石": 6, "侯": 6, "崔": 6, "姚": 6, "邢": 6, "苗": 5, "路": 5,
    "黄": 5, "林": 4, "罗": 4, "郑": 4, "谢": 4, "唐": 4, "邓": 3, "彭": 3,
    "肖": 3, "袁": 3, "潘": 3, "于": 4, "杜": 5, "苏": 4, "丁": 4,
    "姜": 3, "尹": 4, "雷": 3, "贺": 4, "毛": 3, "龚": 2, "康": 5, "耿": 4,
    "庞": 3, "焦": 4, "樊": 4, "裴": 3, "阎": 3, "岳": 3, "智": 2,
}

# Characters used in given names, by gender and by the decade the parents chose them in.
_MALE_OLD = "建国军平华明伟强红卫东海忠保生福贵喜虎龙锁柱银顺永兵刚俊林峰志文晋斌宏亮根旺"
_MALE_MID = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波浩凯健俊旭宁龙林峰建文晋斌亮永志海东"
_MALE_NEW = "浩宇轩博文子豪一鸣俊杰泽晨阳嘉睿昊天鹏飞思远佳乐家铭凯瑞航毅"
_FEMALE_OLD = "丽娟敏静燕艳芳霞红玲梅英萍秀兰凤桂华琴云莲翠"
_FEMALE_MID = "丽娟敏静燕艳芳霞玲梅英萍婷雪琳慧洁颖丹璐晶莉蕾"
_FEMALE_NEW = "欣怡佳琪雨涵梓萱诗语悦彤馨瑶可心思雅婧妍宁"

# Whole given names that read as typical of the generation (and of Shanxi: 二红, 银顺 ...).
_MALE_FIXED_OLD = ["建国", "建军", "卫东", "国庆", "志强", "海平", "永明", "二红", "银顺",
                   "晋斌", "锁柱", "三虎", "拴柱", "红兵", "爱国", "保平", "文明", "永胜"]
_MALE_FIXED_NEW = ["浩宇", "子豪", "宇航", "博文", "一鸣", "俊杰", "晨阳", "嘉豪", "天宇", "泽宇"]
_FEMALE_FIXED_OLD = ["秀英", "桂兰", "玉梅", "翠萍", "丽娟", "红梅", "晓燕", "海燕"]
_FEMALE_FIXED_NEW = ["梓涵", "欣怡", "雨萱", "佳琪", "思雨", "诗涵", "可馨", "雅婷"]

_SURNAME_LIST = list(SURNAMES)
_SURNAME_WEIGHTS = list(SURNAMES.values())


def _pools(male, birth_year):
    if birth_year < 1976:
        return (_MALE_OLD, _MALE_FIXED_OLD) if male else (_FEMALE_OLD, _FEMALE_FIXED_OLD)
    if birth_year < 1992:
        return (_MALE_MID, _MALE_FIXED_OLD) if male else (_FEMALE_MID, _FEMALE_FIXED_OLD)
    return (_MALE_NEW, _MALE_FIXED_NEW) if male else (_FEMALE_NEW, _FEMALE_FIXED_NEW)


def make_name(rng, male, birth_year):
    """A two- or three-character name fitting the gender and generation."""
    surname = rng.choices(_SURNAME_LIST, _SURNAME_WEIGHTS)[0]
    chars, fixed = _pools(male, birth_year)
    roll = rng.random()
    # Single-character given names peaked with parents of the 1970s-80s.
    single = 0.35 if 1970 <= birth_year < 1990 else 0.2
    if roll < single:
        return surname + rng.choice(chars)
    if roll < single + 0.12:
        return surname + rng.choice(fixed)
    first, second = rng.sample(chars, 2)
    return surname + first + second
