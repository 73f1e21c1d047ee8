"""Pagination over a plain row query: same interface as Flask-SQLAlchemy's, lighter rows."""

from flask_sqlalchemy.pagination import Pagination

from portal.extensions import db


class RowPagination(Pagination):
    """Pages of a Core select (rows, not ORM objects) with a separate, simpler count query."""

    def _query_items(self):
        stmt = self._query_args["select_stmt"]
        return db.session.execute(stmt.limit(self.per_page).offset(self._query_offset)).all()

    def _query_count(self):
        return db.session.scalar(self._query_args["count_stmt"])


def paginate_rows(select_stmt, count_stmt, page, per_page):
    """A RowPagination of `select_stmt`, its total from `count_stmt`."""
    return RowPagination(
        page=page, per_page=per_page, error_out=False, select_stmt=select_stmt, count_stmt=count_stmt
    )
