"""Plan the people of a demo mine: who they are, where they work, their Party standing.

Pure planning with a seeded random generator and no database, so the same seed always
gives the same mine. generator.py turns the plan into rows.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from portal.core.idcard import check_digit
from portal.demo.mine import NO_SKILL_LEVEL, PROFILES, REGIONS, SKILL_LEVELS
from portal.demo.names import make_name
from portal.roster.models import PersonStatus, PoliticalStatus

MEMBER_SHARE = 0.30  # 正式 + 预备党员
PROBATIONARY_SHARE = 0.06  # of the members
ACTIVIST_SHARE = 0.05
RETIRED_SHARE = 0.015
TRANSFERRED_SHARE = 0.02
FIRST_BIRTH_YEAR = 1966
LAST_BIRTH_YEAR = 2004

# China Mobile, Unicom and Telecom prefixes.
PHONE_PREFIXES = ("134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158",
                  "159", "182", "183", "187", "188", "130", "131", "132", "155", "156", "185",
                  "186", "133", "153", "180", "181", "189", "177", "199")

# The people behind the demo accounts: (role key, branch index, political status).
CAST_SECRETARY, CAST_MEMBER, CAST_ACTIVIST, CAST_STAFF, CAST_COMMITTEE = (
    "secretary", "member", "activist", "staff", "committee")


@dataclass
class PlannedPerson:
    """One person as planned: raw values that roster.person_fields will validate."""

    branch: int
    unit: int
    gender: str
    birth_date: date
    job_type: str
    skill_level: str
    name: str = ""
    id_number: str = ""
    phone: str = ""
    employee_no: str = ""
    political_status: str = PoliticalStatus.MASSES
    joined_party_on: date | None = None
    status: str = PersonStatus.ON_POST
    group: int | None = None
    cast: str | None = None

    @property
    def male(self):
        """True for men."""
        return self.gender == "男"

    def age(self, today):
        """Age in whole years on `today`."""
        before_birthday = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - before_birthday


def allocate(total, weights):
    """Split `total` into integer parts proportional to `weights` (largest remainder)."""
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _birth_date(rng, earliest=FIRST_BIRTH_YEAR, latest=LAST_BIRTH_YEAR, mode=1986):
    year = min(latest, int(rng.triangular(earliest, latest + 1, mode)))
    start = date(year, 1, 1)
    return start + timedelta(days=rng.randrange((date(year + 1, 1, 1) - start).days))


def _skill_level(rng, job, birth_date, today):
    if job in NO_SKILL_LEVEL:
        return ""
    age = today.year - birth_date.year
    # Roughly: 初级 in the early twenties, 中级 around 30, 高级 at 40, 技师 past 50.
    level = int((age - 18) / 12 + rng.gauss(0, 0.6))
    level = max(0, min(level, len(SKILL_LEVELS) - 1))
    if level == len(SKILL_LEVELS) - 1 and rng.random() > 0.3:
        level -= 1  # 高级技师 are rare
    return SKILL_LEVELS[level]


def _base_people(rng, branch_plans, counts, today):
    people = []
    for index, (plan, count) in enumerate(zip(branch_plans, counts, strict=True)):
        profile = PROFILES[plan.profile]
        jobs, job_weights = list(profile.jobs), list(profile.jobs.values())
        for i in range(count):
            unit = 0 if len(plan.units) == 1 or i % 5 < 3 else 1
            gender = "女" if rng.random() < profile.female_share else "男"
            birth = _birth_date(rng)
            job = rng.choices(jobs, job_weights)[0]
            people.append(PlannedPerson(index, unit, gender, birth, job,
                                        _skill_level(rng, job, birth, today)))
    return people


def _cast(rng, people, office_branch, today):
    """Pick and shape the people behind the demo accounts (secretary ... committee member)."""
    first_branch = [p for p in people if p.branch == 0]
    office = next(p for p in people if p.branch == office_branch)
    roles = [
        (first_branch[0], CAST_SECRETARY, PoliticalStatus.FULL_MEMBER, (1974, 1984), "管理人员"),
        (first_branch[1], CAST_MEMBER, PoliticalStatus.FULL_MEMBER, (1982, 1992), "采煤机司机"),
        (first_branch[2], CAST_ACTIVIST, PoliticalStatus.ACTIVIST, (1994, 2000), "支架工"),
        (first_branch[3], CAST_STAFF, PoliticalStatus.MASSES, (1985, 1998), "电钳工"),
        (office, CAST_COMMITTEE, PoliticalStatus.FULL_MEMBER, (1970, 1978), "管理人员"),
    ]
    for person, cast, status, (earliest, latest), job in roles:
        person.cast, person.political_status, person.job_type = cast, status, job
        person.gender = "男"
        person.birth_date = _birth_date(rng, earliest, latest, (earliest + latest) // 2)
        person.skill_level = _skill_level(rng, job, person.birth_date, today)


def group_count(branch_plans, index):
    """How many 党小组 a branch gets: two for the big teams and two-unit branches, else one."""
    return 2 if len(branch_plans[index].units) > 1 or index < 4 else 1


def _identities(rng, people):
    """Names, and unique ID numbers, phone numbers and employee numbers."""
    regions, region_weights = list(REGIONS), list(REGIONS.values())
    ids, phones = set(), set()
    employee_nos = rng.sample(range(100000, 1000000), len(people))
    for person, employee_no in zip(people, employee_nos, strict=True):
        person.name = make_name(rng, person.male, person.birth_date.year)
        while True:
            order = rng.randrange(1, 500) * 2 + (1 if person.male else 0)
            first17 = f"{rng.choices(regions, region_weights)[0]}{person.birth_date:%Y%m%d}{order:03d}"
            number = first17 + check_digit(first17)
            if number not in ids:
                ids.add(number)
                break
        while True:
            phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if phone not in phones:
                phones.add(phone)
                break
        person.id_number, person.phone, person.employee_no = number, phone, str(employee_no)


def _weighted_pick(rng, candidates, count, weight):
    """`count` candidates drawn without replacement, each in proportion to weight(c)."""
    if count <= 0:
        return []
    keyed = sorted(candidates, key=lambda c: rng.random() ** (1 / weight(c)), reverse=True)
    return keyed[:count]


def _political(rng, people, branch_plans, today):
    """Exact shares of members, probationary members and activists, leaning the way mines do."""
    free = [p for p in people if p.cast is None]
    cast_members = sum(p.political_status == PoliticalStatus.FULL_MEMBER for p in people if p.cast)
    cast_activists = sum(p.political_status == PoliticalStatus.ACTIVIST for p in people if p.cast)
    total = len(people)
    members = round(total * MEMBER_SHARE)
    probationary = max(1, round(members * PROBATIONARY_SHARE))
    activists = max(0, round(total * ACTIVIST_SHARE) - cast_activists)

    def member_weight(p):
        # Offices and older hands have more members; a member joined at 18 at the earliest.
        return PROFILES[branch_plans[p.branch].profile].member_weight * (0.5 + p.age(today) / 40)

    chosen = _weighted_pick(rng, free, members - cast_members, member_weight)
    young = [p for p in chosen if p.age(today) < 36] or chosen
    new_members = set(map(id, _weighted_pick(rng, young, probationary, lambda p: 1.0)))
    for person in chosen:
        person.political_status = (PoliticalStatus.PROBATIONARY if id(person) in new_members
                                   else PoliticalStatus.FULL_MEMBER)
    rest = [p for p in free if p.political_status == PoliticalStatus.MASSES]
    for person in _weighted_pick(rng, rest, activists, lambda p: 3.0 if p.age(today) < 36 else 0.5):
        person.political_status = PoliticalStatus.ACTIVIST
    for person in people:
        if person.political_status in (PoliticalStatus.FULL_MEMBER, PoliticalStatus.PROBATIONARY):
            person.joined_party_on = _joined_on(rng, person, today)
            person.group = rng.randrange(group_count(branch_plans, person.branch))


def _joined_on(rng, person, today):
    """A date after the 18th birthday: within the last year for probationary members."""
    earliest = _add_years(person.birth_date, 18) + timedelta(days=1)
    if person.political_status == PoliticalStatus.PROBATIONARY:
        return max(earliest, today - timedelta(days=rng.randint(30, 330)))
    latest = max(earliest, today - timedelta(days=400))
    span = (latest - earliest).days
    return earliest + timedelta(days=int(span * rng.betavariate(1.5, 3.5)))


def _employment(rng, people, today):
    """A few retired (the oldest) and transferred out; never the demo cast."""
    free = [p for p in people if p.cast is None]
    oldest = sorted(free, key=lambda p: (p.birth_date, p.employee_no))
    for person in oldest[: round(len(people) * RETIRED_SHARE)]:
        person.status = PersonStatus.RETIRED
    on_post = [p for p in free if p.status == PersonStatus.ON_POST]
    for person in rng.sample(on_post, round(len(people) * TRANSFERRED_SHARE)):
        person.status = PersonStatus.TRANSFERRED


def plan_people(rng, total, branch_plans, office_branch, today):
    """The whole roster as PlannedPerson values, in branch order."""
    counts = allocate(total, [plan.size for plan in branch_plans])
    people = _base_people(rng, branch_plans, counts, today)
    _cast(rng, people, office_branch, today)
    _identities(rng, people)
    _political(rng, people, branch_plans, today)
    _employment(rng, people, today)
    return people
