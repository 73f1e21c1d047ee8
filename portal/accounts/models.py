"""User accounts and the roles they hold on organisations."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.models import TimestampMixin, UTCDateTime
from portal.core.permissions import ROLE_LABELS, Role, roles_with
from portal.extensions import db


class User(UserMixin, TimestampMixin, db.Model):
    """A log-in account, usually tied to a person on the roster."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # For accounts without a roster entry (the first administrator).
    login_name: Mapped[str | None] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40), nullable=False)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    must_change_password: Mapped[bool] = mapped_column(default=True, nullable=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    session_version: Mapped[int] = mapped_column(default=1, nullable=False)
    active: Mapped[bool] = mapped_column(default=True, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    person = relationship("Person")
    grants = relationship(
        "RoleGrant", back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self):
        """Disabled accounts cannot log in or keep a session."""
        return self.active

    def get_id(self):
        """Session token: id and session version, so bumping the version ends sessions."""
        return f"{self.id}:{self.session_version}"

    def has_role(self, role):
        """True if the user holds the role on any organisation."""
        return any(g.role == role for g in self.grants)

    def has_permission(self, permission, org=None):
        """True if a grant covers the permission (on `org`, if given)."""
        allowed = roles_with(permission)
        return any(
            grant.role in allowed and (org is None or grant.organisation.contains(org))
            for grant in self.grants
        )

    def scopes(self, permission):
        """The organisations on which the user holds the permission."""
        allowed = roles_with(permission)
        return [g.organisation for g in self.grants if g.role in allowed]

    @property
    def role_labels(self):
        """Chinese names of the user's roles, without repeats, in a fixed order."""
        held = {g.role for g in self.grants}
        return [ROLE_LABELS[r] for r in Role if r in held]


class RoleGrant(TimestampMixin, db.Model):
    """A role held on an organisation (and so on everything beneath it)."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), nullable=False)

    user = relationship("User", back_populates="grants")
    organisation = relationship("Organisation", lazy="joined")

    @property
    def role_label(self):
        """The Chinese name of the role."""
        return ROLE_LABELS[Role(self.role)]
