"""A paginator that can be told its count when the page already knows it, and
pages that are never counted (``UncountedPage``, ``uncounted_pages``)."""

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
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

    def __init__(self, object_list, per_page: int, number, *, rows: list | None = None) -> None:
        """``rows``: this page's slice of ``object_list`` (``bounds``), already read."""
        self.number = self.page_number(number)
        start = (self.number - 1) * per_page
        if rows is None:
            rows = list(object_list[start : start + per_page + 1])
        self._has_next = len(rows) > per_page
        self.object_list = rows[:per_page]
        self.start = start
        # Exact only where this page holds the last rows (an empty page past
        # the end knows nothing of how many came before it).
        last_rows = not self._has_next and (self.object_list or self.number == 1)
        self.count: int | None = start + len(self.object_list) if last_rows else None

    @classmethod
    def page_number(cls, number) -> int:
        try:
            # Bounded: a page number past any list's end reads nothing, and an
            # absurd one must not overflow the database's OFFSET.
            return min(max(int(number), 1), cls.MAX_NUMBER)
        except (TypeError, ValueError):
            return 1

    @classmethod
    def bounds(cls, per_page: int, number) -> slice:
        """The slice of the list that the page ``number`` reads (one row past it)."""
        start = (cls.page_number(number) - 1) * per_page
        return slice(start, start + per_page + 1)

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


def uncounted_pages(*lists: tuple[QuerySet, int, object]) -> list[UncountedPage]:
    """An ``UncountedPage`` of each (values queryset, per page, page number), read
    together: on PostgreSQL in one round trip (the statements one after the other
    in one request, each its own result), elsewhere one query each.

    For ``values()`` querysets (rows as dicts) of plain columns: the rows are read
    as the database returns them, without a field's conversion from it.
    """
    sliced = [
        queryset[UncountedPage.bounds(per_page, number)] for queryset, per_page, number in lists
    ]
    if sliced and _several_statements(connections[sliced[0].db]):
        rows = _read_together(sliced)
    else:
        rows = [list(queryset) for queryset in sliced]
    return [
        UncountedPage(queryset, per_page, number, rows=page_rows)
        for (queryset, per_page, number), page_rows in zip(lists, rows, strict=True)
    ]


def _several_statements(connection) -> bool:
    """PostgreSQL with client-side binding (Django's default), where one request
    may hold several statements; server-side binding allows only one."""
    return connection.vendor == "postgresql" and not connection.settings_dict.get(
        "OPTIONS", {}
    ).get("server_side_binding")


def _read_together(querysets: list[QuerySet]) -> list[list[dict]]:
    statements: list[str] = []
    params: list = []
    names: list[list[str] | None] = []
    for queryset in querysets:
        query = queryset.query
        try:
            sql, query_params = query.get_compiler(using=queryset.db).as_sql()
        except EmptyResultSet:  # .none(), or a filter that can match nothing
            names.append(None)
            continue
        statements.append(sql)
        params.extend(query_params)
        names.append([*query.extra_select, *query.values_select, *query.annotation_select])
    if not statements:  # every list is empty (no query, or nothing it may match)
        return [[] for _ in names]
    found: list[list[dict]] = []
    with connections[querysets[0].db].cursor() as cursor:
        # Safe: each statement is the ORM's own SQL, every value a bound parameter.
        cursor.execute("; ".join(statements), params)
        first = True
        for columns in names:
            if columns is None:
                found.append([])
                continue
            if not first:
                cursor.nextset()
            first = False
            found.append([dict(zip(columns, row, strict=True)) for row in cursor.fetchall()])
    return found
