"""One way to page a list: Django's Paginator, PAGE_SIZE rows a page, and the pager
partial (templates/partials/pager.html), which keeps every filter of the query string."""

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50


def page_of(request, rows, *, per_page: int = PAGE_SIZE) -> Page:
    """The requested page of `rows` (a queryset or list); a bad or too-high page number
    gives the nearest page, never an error."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))
