from django.contrib.admin.apps import AdminConfig


class BreakGlassAdminConfig(AdminConfig):
    """django.contrib.admin with our site: see campuscode.core.admin_site."""

    default_site = "campuscode.core.admin_site.BreakGlassAdminSite"
