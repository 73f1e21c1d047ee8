"""Organisations, units and people."""

from datetime import date
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core import cache, crypto
from portal.core.idcard import mask_id_number, mask_phone
from portal.core.models import TimestampMixin
from portal.extensions import db
from portal.roster.dates import DatePrecision, format_date


class OrgKind(StrEnum):
    """Levels of the Party organisation tree."""

    COMMITTEE = "committee"
    GENERAL_BRANCH = "general_branch"
    BRANCH = "branch"
    GROUP = "group"


ORG_KIND_LABELS = {
    OrgKind.COMMITTEE: "党委",
    OrgKind.GENERAL_BRANCH: "党总支",
    OrgKind.BRANCH: "党支部",
    OrgKind.GROUP: "党小组",
}
# Which kinds may sit directly under which.
ORG_CHILD_KINDS = {
    OrgKind.COMMITTEE: {OrgKind.GENERAL_BRANCH, OrgKind.BRANCH},
    OrgKind.GENERAL_BRANCH: {OrgKind.BRANCH},
    OrgKind.BRANCH: {OrgKind.GROUP},
    OrgKind.GROUP: set(),
}


class PoliticalStatus(StrEnum):
    """政治面貌 as the roster records it."""

    FULL_MEMBER = "正式党员"
    PROBATIONARY = "预备党员"
    ACTIVIST = "入党积极分子"
    MASSES = "群众"


PARTY_STATUSES = {PoliticalStatus.FULL_MEMBER, PoliticalStatus.PROBATIONARY}


class PersonStatus(StrEnum):
    """Employment status."""

    ON_POST = "在岗"
    TRANSFERRED = "调出"
    RETIRED = "退休"


class Organisation(TimestampMixin, db.Model):
    """A node of the Party organisation tree; `path` makes subtree queries one LIKE."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    path: Mapped[str] = mapped_column(String(255), nullable=False, default="/", index=True)
    sort_order: Mapped[int] = mapped_column(default=0, nullable=False)

    parent = relationship("Organisation", remote_side=[id], back_populates="children")
    children = relationship(
        "Organisation", back_populates="parent", order_by="Organisation.sort_order"
    )

    @property
    def kind_label(self):
        """The Chinese name of the level."""
        return ORG_KIND_LABELS[OrgKind(self.kind)]

    @property
    def depth(self):
        """0 for the committee, 1 for its children, ..."""
        return self.path.count("/") - 2

    def contains(self, other):
        """True if `other` is this organisation or lies beneath it."""
        return other is not None and other.path.startswith(self.path)


class Unit(TimestampMixin, db.Model):
    """An administrative unit (队组 / 科室); its branch looks after its people."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)

    branch = relationship("Organisation")


class Person(TimestampMixin, db.Model):
    """One person on the roster. ID and phone are stored encrypted with keyed hashes."""

    __tablename__ = "person"
    __table_args__ = (
        Index("ix_person_branch_status_name", "branch_id", "status", "name_sort"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False, index=True)
    name_pinyin: Mapped[str] = mapped_column(String(120), nullable=False, default="", index=True)
    name_initials: Mapped[str] = mapped_column(String(20), nullable=False, default="", index=True)
    # The roster's order: surname syllable first, then the given name's (roster.pinyin.sort_key).
    name_sort: Mapped[str] = mapped_column(String(240), nullable=False, default="")
    gender: Mapped[str] = mapped_column(String(2), nullable=False)
    birth_date: Mapped[date] = mapped_column(Date, nullable=False)
    id_cipher: Mapped[str] = mapped_column(String(200), nullable=False)
    id_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    id_tail: Mapped[str] = mapped_column(String(8), nullable=False)
    phone_cipher: Mapped[str] = mapped_column(String(200), nullable=False)
    phone_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    phone_tail: Mapped[str] = mapped_column(String(7), nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), nullable=False, index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    job_type: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    skill_level: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    political_status: Mapped[str] = mapped_column(String(10), nullable=False, index=True)
    joined_party_on: Mapped[date | None] = mapped_column(Date)
    # "month" when only the year and month of joining are known (joined_party_on is then the 1st).
    joined_party_precision: Mapped[str] = mapped_column(
        String(5), nullable=False, default=DatePrecision.DAY, server_default=DatePrecision.DAY.value
    )
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=PersonStatus.ON_POST)

    unit = relationship("Unit")
    branch = relationship("Organisation", foreign_keys=[branch_id])
    group = relationship("Organisation", foreign_keys=[group_id])

    @property
    def id_number_masked(self):
        """The ID number as everyone may see it: 1101**********1234."""
        return mask_id_number(self.id_tail[:4] + "0" * 10 + self.id_tail[4:])

    @property
    def phone_masked(self):
        """The phone number as everyone may see it: 138****5678."""
        return mask_phone(self.phone_tail[:3] + "0000" + self.phone_tail[3:])

    def reveal_id_number(self):
        """The full ID number; callers must hold roster.reveal and audit the view."""
        return crypto.decrypt(self.id_cipher)

    def reveal_phone(self):
        """The full phone number; callers must hold roster.reveal and audit the view."""
        return crypto.decrypt(self.phone_cipher)

    @property
    def joined_party_text(self):
        """The join date as it was given: 2009年2月15日, or 2009年2月 when only the month is known."""
        return format_date(self.joined_party_on, self.joined_party_precision)

    @property
    def is_party_member(self):
        """True for full and probationary members."""
        return self.political_status in PARTY_STATUSES


class ImportBatch(TimestampMixin, db.Model):
    """One uploaded roster file: checked, then written whole or (if accepted) valid rows only."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(80), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")
    total_rows: Mapped[int] = mapped_column(default=0, nullable=False)
    error_rows: Mapped[int] = mapped_column(default=0, nullable=False)
    imported_rows: Mapped[int] = mapped_column(default=0, nullable=False)


# Cached roster pages (the list, filters by branch) carry this version: any write to these bumps it.
cache.watch("roster", Organisation, Unit, Person)
