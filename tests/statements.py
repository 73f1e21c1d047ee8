"""Count the SQL statements a block of code runs (for tests that pin how much a page queries)."""

from sqlalchemy import event

from portal.extensions import db


class CountStatements:
    """A context manager: `count` is the number of statements run while it was active."""

    def __enter__(self):
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args):
        self.count += 1


def viewed_twice(client, url):
    """GET `url` twice; the second answer must be the same page for fewer statements (a cached part)."""
    with CountStatements() as first:
        page = client.get(url).get_data(as_text=True)
    with CountStatements() as again:
        assert client.get(url).get_data(as_text=True) == page
    assert again.count < first.count, (first.count, again.count)
    return page
