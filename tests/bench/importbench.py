"""The roster_import scenario: stage + commit of a generated 5,000-row .xlsx, timed in-process.

Not a wrk scenario: the bench process calls the importer the way the import view does
(`importer.stage(actor, file)` then `importer.commit(actor, batch.id)`, one commit), against the
bench database, as the demo administrator. The sheet is made with the portal's own xlsx writer
from people planned by the demo generator (fresh identities that clash with nobody on the
roster). Afterwards it counts what was written and deletes it, so every run starts at the
same 5,000 people.
"""

import io
import random
import time

from sqlalchemy import delete, func, select
from werkzeug.datastructures import FileStorage

from portal.core import clock, crypto
from portal.core.permissions import Role
from portal.core.xlsx import normalise_header, write_workbook
from portal.demo.generator import branch_count
from portal.demo.mine import BRANCHES
from portal.demo.people import plan_people
from portal.extensions import db
from portal.roster import importer
from portal.roster.models import Person, Unit
from tests.bench.portal_hooks import demo_user

ROWS = 5_000
EMPLOYEE_NO_BASE = 80_000_000  # 8 digits: the demo's employee numbers have 6, so none clash
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What to put under each header the importer may ask for (normalised header -> value).
VALUES = {
    "姓名": lambda p, unit: p.name,
    "性别": lambda p, unit: p.gender,
    "身份证号": lambda p, unit: p.id_number,
    "身份证号码": lambda p, unit: p.id_number,
    "手机号": lambda p, unit: p.phone,
    "手机号码": lambda p, unit: p.phone,
    "工号": lambda p, unit: p.employee_no,
    "单位": lambda p, unit: unit,
    "所属单位": lambda p, unit: unit,
    "工种": lambda p, unit: p.job_type,
    "技能等级": lambda p, unit: p.skill_level,
    "政治面貌": lambda p, unit: str(p.political_status),
    "入党时间": lambda p, unit: p.joined_party_on,
    "入党日期": lambda p, unit: p.joined_party_on,
    "状态": lambda p, unit: str(p.status),
    "人员状态": lambda p, unit: str(p.status),
}
TEXT_HEADERS = {"身份证号", "身份证号码", "手机号", "手机号码", "工号"}


class ImportNotReady(RuntimeError):
    """The importer does not offer stage()/commit() or COLUMNS yet."""


def _columns():
    """[(normalised header, header as the template writes it, required)] of the importer."""
    columns = getattr(importer, "COLUMNS", None)
    if not columns or not hasattr(importer, "stage") or not hasattr(importer, "commit"):
        raise ImportNotReady("portal/roster/importer.py has no COLUMNS/stage()/commit() yet")
    result = []
    for column in columns:
        header = getattr(column, "header", column)
        result.append((normalise_header(header), header, bool(getattr(column, "required", False))))
    missing = [header for name, header, required in result if required and name not in VALUES]
    if missing:
        raise ImportNotReady(f"the bench does not know what to write in required column(s) {'、'.join(missing)}")
    return result


def _fresh_people(seed, employee_base):
    """ROWS planned people whose ID and phone numbers are not on the roster yet."""
    plans = BRANCHES[: branch_count(ROWS)]
    office = next(i for i, plan in enumerate(plans) if plan.name == "机关党支部")
    known_units = set(db.session.scalars(select(Unit.name)))
    hashes = set(db.session.scalars(select(Person.id_hash))) | set(db.session.scalars(select(Person.phone_hash)))
    planned = plan_people(random.Random(seed), ROWS + ROWS // 10, plans, office, clock.localnow().date())  # noqa: S311
    people = []
    for person in planned:
        unit = plans[person.branch].units[person.unit]
        if unit not in known_units:
            raise ImportNotReady(f"unit {unit} is not in the bench database: was it built by `demo load`?")
        if crypto.blind_index("id", person.id_number) in hashes or crypto.blind_index("phone", person.phone) in hashes:
            continue
        person.employee_no = str(employee_base + len(people))
        people.append((person, unit))
        if len(people) == ROWS:
            return people
    raise ImportNotReady("could not plan enough fresh people")


def make_sheet(seed, employee_base):
    """(xlsx bytes, employee numbers) of ROWS new people under the importer's headers."""
    columns = _columns()
    people = _fresh_people(seed, employee_base)
    used = [(name, header) for name, header, _required in columns if name in VALUES]
    rows = [[VALUES[name](person, unit) for name, _header in used] for person, unit in people]
    text_columns = [i for i, (name, _header) in enumerate(used) if name in TEXT_HEADERS]
    stream = write_workbook([header for _name, header in used], rows, title="花名册", text_columns=text_columns)
    return stream.getvalue(), [person.employee_no for person, _unit in people]


def _count(employee_nos):
    found = 0
    for start in range(0, len(employee_nos), 1000):
        chunk = employee_nos[start : start + 1000]
        found += db.session.scalar(select(func.count()).select_from(Person).where(Person.employee_no.in_(chunk)))
    return found


def _remove(employee_nos):
    """Delete the imported people again; False if something now refers to them."""
    try:
        for start in range(0, len(employee_nos), 1000):
            db.session.execute(delete(Person).where(Person.employee_no.in_(employee_nos[start : start + 1000])))
        db.session.commit()
        return True
    except Exception:  # noqa: BLE001 - a foreign key from a new table; report and go on
        db.session.rollback()
        return False


def run_once(bench, run_no):
    """Generate, then time stage + commit of one sheet; count what was written; clean up."""
    data, employee_nos = make_sheet(seed=7000 + run_no, employee_base=EMPLOYEE_NO_BASE + run_no * 100_000)
    actor = demo_user(Role.ADMIN)
    before = db.session.scalar(select(func.count()).select_from(Person))
    db.session.commit()  # start the timed part with a fresh transaction, as a request would
    upload = FileStorage(stream=io.BytesIO(data), filename="花名册导入.xlsx", content_type=XLSX_TYPE)
    started = time.perf_counter()
    batch, report = importer.stage(actor, upload)
    if not getattr(report, "ok", False):
        db.session.rollback()
        raise RuntimeError(f"the importer refused the generated sheet: {_describe_errors(report)}")
    importer.commit(actor, batch.id)
    db.session.commit()
    seconds = time.perf_counter() - started
    db.session.expire_all()
    found = _count(employee_nos)
    after = db.session.scalar(select(func.count()).select_from(Person))
    cleaned = _remove(employee_nos)
    return {
        "seconds": seconds, "rows": ROWS, "written": after - before,
        "lost": ROWS - found, "duplicated": max(0, (after - before) - found), "cleaned": cleaned,
        "bytes": len(data),
    }


def _describe_errors(report):
    errors = getattr(report, "errors", None) or getattr(report, "rows", None) or []
    return "; ".join(str(e) for e in list(errors)[:5]) or repr(report)


def measure(bench, runs):
    """Run the import `runs` times; the per-run figures (the caller takes medians)."""
    results = []
    for run_no in range(1, runs + 1):
        result = run_once(bench, run_no)
        results.append(result)
        if not result["cleaned"]:
            break  # the roster would no longer be at 5,000 people
    return results

