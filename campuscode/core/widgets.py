"""Form widgets shared by every app.

A browser's <input type=date> takes only ISO dates (2026-11-26) as its value, whatever
the page's language; Django's DateInput renders the active locale's format (2026/11/26 in
Chinese), which the browser drops, so the field showed blank. These always render ISO.
"""

from django import forms


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=format or "%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs=attrs, format=format or "%Y-%m-%dT%H:%M")
