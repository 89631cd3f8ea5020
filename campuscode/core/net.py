"""The client's address: one function for lockouts, rate limits, honesty flags and audit."""


def client_ip(request) -> str | None:
    # Behind the school's reverse proxy, gunicorn is started with --forwarded-allow-ips
    # and REMOTE_ADDR is already the client; never trust X-Forwarded-For by default.
    return request.META.get("REMOTE_ADDR") if request is not None else None
