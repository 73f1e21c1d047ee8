"""What every spreadsheet import reports: per-cell errors and the counts a report page shows."""

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass
class RowError:
    """A problem in one cell: the sheet row number, the column, a message, the value as shown."""

    row: int
    column: str
    message: str
    value: str = ""


@dataclass
class ImportReport:
    """The outcome of checking a file: how many rows, which errors; subclasses keep the valid rows."""

    # A report page lists this many errors and says how many more there are.
    shown_limit: ClassVar[int] = 300

    filename: str
    total: int = 0
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        """True when every row is valid."""
        return not self.errors

    @property
    def error_rows(self):
        """How many rows have at least one error."""
        return len({e.row for e in self.errors})

    @property
    def valid(self):
        """How many rows could be written."""
        return self.total - self.error_rows

    @property
    def shown_errors(self):
        """The errors a page shows (the first `shown_limit`)."""
        return self.errors[:self.shown_limit]

    @property
    def hidden_errors(self):
        """How many errors the page leaves out."""
        return max(len(self.errors) - self.shown_limit, 0)
