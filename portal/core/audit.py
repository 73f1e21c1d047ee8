"""The append-only audit log: who did what, when, and from where."""

import logging
from datetime import datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.clock import utcnow
from portal.core.models import UTCDateTime
from portal.extensions import db

log = logging.getLogger("portal.audit")

ACTION_LABELS = {
    "login": "登录成功",
    "login_failed": "登录失败",
    "account_locked": "账号锁定",
    "logout": "退出登录",
    "password_changed": "修改密码",
    "password_reset": "重置密码",
    "account_created": "创建账号",
    "account_disabled": "停用账号",
    "account_enabled": "启用账号",
    "account_unlocked": "解除锁定",
    "role_granted": "授予角色",
    "role_revoked": "撤销角色",
    "id_revealed": "查看完整身份证号",
    "phone_revealed": "查看完整手机号",
    "roster_imported": "导入花名册",
    "roster_exported": "导出花名册",
    "person_created": "新增人员",
    "person_updated": "修改人员",
    "org_created": "新增组织",
    "org_updated": "修改组织",
    "unit_created": "新增单位",
    "unit_updated": "修改单位",
    "credit_rule_changed": "修改积分规则",
    "credit_adjusted": "手动加减积分",
    "credit_reversed": "冲销积分",
    "credit_payout_signed": "签认季度兑现",
    "question_imported": "导入题库",
    "quiz_published": "发布每周一测",
    "quiz_override_granted": "每周一测单独安排",
    "meeting_scheduled": "安排组织生活",
    "meeting_updated": "修改组织生活",
    "meeting_cancelled": "取消组织生活",
    "meeting_minutes_saved": "填写会议记录",
    "meeting_code_regenerated": "更换签到码",
    "meeting_checkin_locked": "签到码错误次数过多",
    "meeting_attendance_corrected": "更正考勤",
    "reflection_graded": "心得体会评分",
    "exemplar_campaign_created": "创建评选活动",
    "exemplar_campaign_updated": "修改评选活动",
    "exemplar_phase_moved": "评选活动进入下一阶段",
    "exemplar_nominated": "提名六大员",
    "exemplar_nomination_withdrawn": "撤回提名",
    "exemplar_nomination_decided": "资格审查",
    "exemplar_flag_opened": "标记暂不宜参评",
    "exemplar_flag_closed": "解除参评标记",
    "exemplar_paper_ballot": "录入纸质选票",
    "exemplar_objection_raised": "提出公示异议",
    "exemplar_objection_decided": "核实公示异议",
}

TARGET_LABELS = {
    "person": "人员",
    "user_account": "账号",
    "import_batch": "导入批次",
    "organisation": "组织",
    "unit": "单位",
    "ledger_entry": "积分记录",
    "credit_rule": "积分规则",
    "credit_payout_list": "兑现名单",
    "quiz": "每周一测",
    "quiz_override": "每周一测单独安排",
    "meeting": "组织生活",
    "meeting_reflection": "心得体会",
    "exemplar_campaign": "评选活动",
    "exemplar_nomination": "提名",
    "exemplar_flag": "参评标记",
    "exemplar_objection": "公示异议",
}


class AuditEntry(db.Model):
    """One audited event. Rows are only ever inserted.

    The database enforces it: triggers (migration 5e1f0a000008) refuse any UPDATE, DELETE or
    (on PostgreSQL) TRUNCATE of audit_entry, whoever sends it, with an IntegrityError.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column()
    detail: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))

    actor = relationship("User", lazy="joined")
    # The target's name as the log page shows it (set by search_entries; None: named by its kind alone).
    target_name = None

    @property
    def action_label(self):
        """The Chinese name of the action."""
        return ACTION_LABELS.get(self.action, self.action)

    @property
    def target_label(self):
        """The Chinese name of the kind of object acted on."""
        return TARGET_LABELS.get(self.target_type, "其他")


def record(action, target=None, detail=None, actor=None):
    """Add an audit row to the session (the caller's commit writes it)."""
    if action not in ACTION_LABELS:
        raise KeyError(f"unknown audit action {action}")
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    if target is not None and target.id is None:
        db.session.flush()
    entry = AuditEntry(
        action=action,
        actor_id=actor.id if actor is not None else None,
        target_type=target.__tablename__ if target is not None else None,
        target_id=target.id if target is not None else None,
        detail=detail,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    # For the operators' log: ids only; the detail may name people and stays in the database.
    log.info("audit %s actor=%s target=%s#%s", action, entry.actor_id, entry.target_type, entry.target_id)
    return entry


def search_entries(action=None, actor_ids=None, page=1, per_page=50):
    """Audit rows newest first, filtered by action and by actor (a list of account ids), their targets named."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor_ids is not None:
        stmt = stmt.where(AuditEntry.actor_id.in_(actor_ids))
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    name_targets(pagination.items)
    return pagination


# The columns that name an object, in order of preference: the log page says "人员 张三", not an id.
NAME_COLUMNS = ("display_name", "name", "title", "topic")


def name_targets(entries):
    """Set each entry's target_name from its target's row (one query per kind of target).

    Read through the table metadata, so the log needs no domain's models; a kind without a name
    column (a ledger entry, a payout list) is named by its kind, and the entry's detail says more.
    """
    wanted = {}
    for entry in entries:
        if entry.target_type in TARGET_LABELS and entry.target_id is not None:
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    names = {}
    for kind, ids in wanted.items():
        table = db.metadata.tables.get(kind)
        column = next((table.c[name] for name in NAME_COLUMNS if table is not None and name in table.c), None)
        if column is not None:
            rows = db.session.execute(select(table.c.id, column).where(table.c.id.in_(sorted(ids))))
            names.update(((kind, target_id), name) for target_id, name in rows)
    for entry in entries:
        entry.target_name = names.get((entry.target_type, entry.target_id))
