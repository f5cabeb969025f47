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
