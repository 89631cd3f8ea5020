"""One way to page a list: Django's Paginator, PAGE_SIZE rows a page, and the pager
partial (templates/partials/pager.html), which keeps every filter of the query string.

A page with two lists pages each under its own parameter (`param`): each pager keeps
the other's place."""

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50


def page_of(
    request, rows, *, per_page: int = PAGE_SIZE, param: str = "page", count: int | None = None
) -> Page:
    """The requested page of `rows` (a queryset or list); a bad or too-high page number
    gives the nearest page, never an error. `count`: the number of rows when the caller
    has already counted them (no COUNT query)."""
    paginator = Paginator(rows, per_page)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not computed
    page = paginator.get_page(request.GET.get(param))
    if param != "page":
        # The pager's links: the query string with this list's page changed (the
        # partial's {% querystring %} takes them whole, as it cannot name the key).
        page.previous_query = _with(request, param, page, -1)
        page.next_query = _with(request, param, page, +1)
    return page


def _with(request, param: str, page: Page, step: int):
    query = request.GET.copy()
    query[param] = page.number + step
    return query
