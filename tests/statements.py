"""Count the SQL statements a block of code runs (for tests that pin how much a page queries)."""

from sqlalchemy import event

from portal.extensions import db


class CountStatements:
    """A context manager: `count` is the number of statements run while it was active, `statements` their SQL."""

    def __enter__(self):
        self.statements = []
        self.parameters = []
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._seen)

    @property
    def count(self):
        """How many statements ran."""
        return len(self.statements)

    def naming(self, text):
        """The statements whose SQL contains `text` (e.g. a column: "credit_rule.points")."""
        return [sql for sql in self.statements if text in sql]

    def parameter_sets(self, text):
        """How many parameter sets the statements containing `text` ran with (an executemany has several)."""
        return sum(len(params) if many else 1 for sql, (params, many) in zip(self.statements, self.parameters,
                                                                             strict=True) if text in sql)

    def _seen(self, _conn, _cursor, statement, parameters, _context, executemany):
        self.statements.append(statement)
        self.parameters.append((parameters, executemany))


def viewed_twice(client, url):
    """GET `url` twice; the second answer must be the same page for fewer statements (a cached part)."""
    with CountStatements() as first:
        page = client.get(url).get_data(as_text=True)
    with CountStatements() as again:
        assert client.get(url).get_data(as_text=True) == page
    assert again.count < first.count, (first.count, again.count)
    return page
