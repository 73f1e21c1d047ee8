"""What a Shanxi coal mine looks like: its teams and offices, their jobs, skills and regions."""

from dataclasses import dataclass

DEFAULT_MINE = "五阳煤矿"

# Region codes of ID numbers (first six digits): 长治 around 五阳 first, then 古交 (马兰矿)
# and 太原万柏林 (官地矿), where miners also come from.
REGIONS = {
    "140423": 30,  # 襄垣县
    "140402": 18,  # 长治市
    "140481": 14,  # 潞城
    "140425": 8,   # 平顺县
    "140181": 10,  # 古交市
    "140109": 8,   # 太原市万柏林区
    "140110": 4,   # 太原市晋源区
    "140105": 4,   # 太原市小店区
    "140431": 4,   # 沁源县
}

# Level names in order; a worker's level rises with age (see generator).
SKILL_LEVELS = ("初级工", "中级工", "高级工", "技师", "高级技师")

# Jobs whose holders carry a professional title rather than a worker's skill level.
NO_SKILL_LEVEL = {"科员", "技术员", "管理人员", "调度员", "统计员"}


@dataclass(frozen=True)
class Profile:
    """The kind of work a team does: its jobs (weighted) and share of women."""

    jobs: dict
    female_share: float
    member_weight: float = 1.0  # offices have more Party members than coal faces


PROFILES = {
    "coal_face": Profile({"采煤机司机": 3, "支架工": 5, "输送机司机": 2, "转载机司机": 1,
                          "泵站司机": 1, "采煤工": 4, "电钳工": 3, "安全员": 1,
                          "班组长": 1, "技术员": 0.5}, 0.0),
    "heading": Profile({"掘进机司机": 3, "掘进工": 5, "锚杆支护工": 3, "电钳工": 2,
                        "爆破工": 1, "安全员": 1, "班组长": 1, "技术员": 0.5}, 0.0),
    "electrical": Profile({"电钳工": 5, "维修电工": 3, "机修钳工": 2, "焊工": 1,
                           "绞车司机": 2, "压风机司机": 1, "主通风机司机": 1, "技术员": 1}, 0.08),
    "ventilation": Profile({"通风工": 4, "瓦斯检查工": 5, "测风工": 1, "瓦斯抽采工": 2,
                            "防尘工": 2, "安全员": 1, "技术员": 1}, 0.02),
    "transport": Profile({"绞车司机": 4, "皮带司机": 5, "电机车司机": 2, "信号把钩工": 2,
                          "运输工": 3, "电钳工": 1}, 0.05),
    "installation": Profile({"安装工": 5, "电钳工": 2, "起重工": 1, "绞车司机": 1,
                             "班组长": 1, "技术员": 0.5}, 0.0),
    "water": Profile({"水泵司机": 4, "探放水工": 3, "电钳工": 1, "安全员": 1, "技术员": 0.5}, 0.03),
    "safety": Profile({"安全员": 6, "安全检查工": 4, "科员": 1, "技术员": 1}, 0.1, 1.4),
    "office": Profile({"科员": 8, "技术员": 3, "调度员": 1, "统计员": 1, "管理人员": 1}, 0.45, 2.0),
    "washing": Profile({"选煤工": 4, "浮选工": 2, "重介工": 2, "化验工": 2, "装车工": 2,
                        "电钳工": 2}, 0.35),
    "service": Profile({"矿灯管理工": 2, "浴室管理员": 1, "炊事员": 2, "驾驶员": 1, "科员": 1}, 0.5),
    "rescue": Profile({"救护队员": 6, "科员": 1}, 0.0, 1.3),
}


@dataclass(frozen=True)
class BranchPlan:
    """One Party branch: the units (队组/科室) it looks after and the work they do."""

    name: str
    units: tuple
    profile: str
    size: float = 1.0  # relative headcount


# The first eight are the classic branches of a demo; larger mines take more from the list.
BRANCHES = (
    BranchPlan("综采一队党支部", ("综采一队",), "coal_face", 1.15),
    BranchPlan("综采二队党支部", ("综采二队",), "coal_face", 1.15),
    BranchPlan("掘进一队党支部", ("掘进一队",), "heading", 1.1),
    BranchPlan("掘进二队党支部", ("掘进二队",), "heading", 1.1),
    BranchPlan("机电科党支部", ("机电科", "机修车间"), "electrical", 1.0),
    BranchPlan("通风队党支部", ("通风队", "防尘队"), "ventilation", 0.95),
    BranchPlan("运输队党支部", ("运输队", "皮带队"), "transport", 1.05),
    BranchPlan("机关党支部", ("综合办公室", "党群工作部"), "office", 0.85),
    BranchPlan("综采三队党支部", ("综采三队",), "coal_face", 1.15),
    BranchPlan("掘进三队党支部", ("掘进三队",), "heading", 1.1),
    BranchPlan("安监处党支部", ("安监处",), "safety", 0.85),
    BranchPlan("开拓一队党支部", ("开拓一队",), "heading", 1.05),
    BranchPlan("安装队党支部", ("安装队", "回撤队"), "installation", 1.0),
    BranchPlan("供电队党支部", ("供电队",), "electrical", 0.9),
    BranchPlan("瓦斯抽采队党支部", ("瓦斯抽采队",), "ventilation", 0.95),
    BranchPlan("调度室党支部", ("调度室", "信息中心"), "office", 0.85),
    BranchPlan("选煤厂党支部", ("选煤厂",), "washing", 1.1),
    BranchPlan("掘进四队党支部", ("掘进四队",), "heading", 1.1),
    BranchPlan("探放水队党支部", ("探放水队", "排水队"), "water", 0.9),
    BranchPlan("生产技术科党支部", ("生产技术科", "地测科"), "office", 0.85),
    BranchPlan("综掘一队党支部", ("综掘一队",), "heading", 1.1),
    BranchPlan("运输二队党支部", ("运输二队",), "transport", 1.0),
    BranchPlan("后勤服务中心党支部", ("后勤服务中心", "物业服务队"), "service", 0.9),
    BranchPlan("综采四队党支部", ("综采四队",), "coal_face", 1.15),
    BranchPlan("巷修队党支部", ("巷修队",), "heading", 0.95),
    BranchPlan("机电一队党支部", ("机电一队",), "electrical", 0.95),
    BranchPlan("救护队党支部", ("救护队",), "rescue", 0.85),
    BranchPlan("综掘二队党支部", ("综掘二队",), "heading", 1.1),
    BranchPlan("准备队党支部", ("准备队",), "installation", 1.0),
    BranchPlan("机修厂党支部", ("机修厂",), "electrical", 0.95),
    BranchPlan("物资供应科党支部", ("物资供应科", "销售科"), "office", 0.85),
    BranchPlan("掘进五队党支部", ("掘进五队",), "heading", 1.1),
    BranchPlan("通风科党支部", ("通风科",), "ventilation", 0.9),
    BranchPlan("开拓二队党支部", ("开拓二队",), "heading", 1.05),
    BranchPlan("装车站党支部", ("装车站",), "washing", 0.9),
    BranchPlan("机电二队党支部", ("机电二队",), "electrical", 0.95),
    BranchPlan("掘进六队党支部", ("掘进六队",), "heading", 1.1),
    BranchPlan("防突队党支部", ("防突队",), "ventilation", 0.95),
    BranchPlan("运输三队党支部", ("运输三队",), "transport", 1.0),
    BranchPlan("财务人事党支部", ("财务科", "人力资源科"), "office", 0.85),
)

# Office-like branches are split into numbered groups, teams by shift.
OFFICE_GROUPS = ("第一党小组", "第二党小组")
TEAM_GROUPS = ("生产班党小组", "检修班党小组")

MIN_BRANCHES = 8
PEOPLE_PER_BRANCH = 125
