"""A paginator that can be told its count when the page already knows it."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CountedPaginator(Paginator):
    """``Paginator``, but ``known_count`` (when not None) spares the ``COUNT(*)`` query.

    For a list whose size the view has just computed anyway (a dashboard's
    "N open cases" over the same rows): the count must be of exactly the rows
    the paginator pages through.
    """

    def __init__(self, object_list, per_page, *, known_count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = known_count

    @cached_property
    def count(self) -> int:
        if self._known_count is not None:
            return self._known_count
        return super().count


class UncountedPage:
    """A page of a list that is never counted: for lists whose matches may be many.

    Reads ``per_page + 1`` rows: the extra one says whether a next page exists,
    so one query serves the page and its Previous/Next links. The total is
    known only on the page that shows the last rows (``count``; None before
    it): a search that matches thousands of rows never counts them all.
    """

    paginator = None  # no "of N pages": pagination.html shows the page number alone
    MAX_NUMBER = 100_000

    def __init__(self, object_list, per_page: int, number) -> None:
        try:
            # Bounded: a page number past any list's end reads nothing, and an
            # absurd one must not overflow the database's OFFSET.
            self.number = min(max(int(number), 1), self.MAX_NUMBER)
        except (TypeError, ValueError):
            self.number = 1
        start = (self.number - 1) * per_page
        rows = list(object_list[start : start + per_page + 1])
        self._has_next = len(rows) > per_page
        self.object_list = rows[:per_page]
        self.start = start
        # Exact only where this page holds the last rows (an empty page past
        # the end knows nothing of how many came before it).
        last_rows = not self._has_next and (self.object_list or self.number == 1)
        self.count: int | None = start + len(self.object_list) if last_rows else None

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def end_index(self) -> int:
        """The position of this page's last row (20 on the first full page)."""
        return self.start + len(self.object_list)
