"""Django's admin as a break-glass tool, not an everyday one (issue #8, MLPS 2.0 separation
of duties).

It is in the URL map only when `CAMPUSCODE_BREAK_GLASS_ADMIN` is set; it opens only for
an active superuser whose session passed a second factor (django-otp's OTPAdminSite, whose
sign-in form asks for the code too); every model is read-only except the few listed in
`WRITABLE` (no role, account, second factor or health record is changed behind the
audited services); and every page it serves writes an audit entry.
"""

from functools import update_wrapper

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models.base import ModelBase
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from campuscode.audit.services import log_action

# Tables that hold no personal data and have no other page to change them from.
WRITABLE = frozenset({"accounts.claimguard"})  # lifting a claim lock


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BreakGlassAdminSite(OTPAdminSite):
    site_header = _("Campus Code: break-glass administration")
    site_title = _("Campus Code administration")

    def __init__(self, name="admin"):
        super().__init__(name)

    def has_permission(self, request):
        user = request.user
        return (
            settings.CAMPUSCODE_BREAK_GLASS_ADMIN
            and user.is_active
            and user.is_superuser
            and user.is_verified()
        )

    def register(self, model_or_iterable, admin_class=None, **options):
        models = (
            [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        )
        for model in models:
            cls = admin_class or admin.ModelAdmin
            if model._meta.label_lower not in WRITABLE:
                cls = type(f"ReadOnly{cls.__name__}", (ReadOnlyAdminMixin, cls), {})
            super().register(model, cls, **options)

    def admin_view(self, view, cacheable=False):
        """Every page past the permission check is audited: which page, which object."""

        def audited(request, *args, **kwargs):
            status = 500
            try:
                response = view(request, *args, **kwargs)
                status = response.status_code
                return response
            except PermissionDenied:
                status = 403  # a refused add/change/delete is recorded too
                raise
            finally:
                match = request.resolver_match
                log_action(
                    request=request,
                    action=(
                        "admin.page.viewed"
                        if request.method in ("GET", "HEAD")
                        else "admin.page.submitted"
                    ),
                    data={
                        "page": match.url_name if match else "",
                        "path": request.path,
                        "object": str(kwargs.get("object_id", "")),
                        "status": status,
                    },
                )

        return super().admin_view(update_wrapper(audited, view), cacheable)
