from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.api import api

urlpatterns = [
    path("", include("campuscode.core.urls")),
    path("accounts/", include("campuscode.accounts.urls")),
    path("people/", include("campuscode.people.urls")),
    path("roster/", include("campuscode.roster.urls")),
    path("audit/", include("campuscode.audit.urls")),
    path("code/", include("campuscode.codes.urls")),
    path("checkins/", include("campuscode.checkins.urls")),
    path("gates/", include("campuscode.gates.urls")),
    path("followup/", include("campuscode.followup.urls")),
    path("anomalies/", include("campuscode.anomalies.urls")),
    path("supervision/", include("campuscode.supervision.urls")),  # supervision (R7)
    path("privacy/", include("campuscode.privacy.urls")),
    path("notify/", include("campuscode.notify.urls")),
    path("backups/", include("campuscode.backups.urls")),  # backups
    path("analytics/", include("campuscode.analytics.urls")),  # analytics
    path("events/", include("campuscode.events.urls")),  # events (R2.5)
    path("violations/", include("campuscode.violations.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("attendance/", include("campuscode.attendance.urls")),  # attendance (issue 11)
]

if settings.CAMPUSCODE_BREAK_GLASS_ADMIN:  # see campuscode.core.admin_site
    urlpatterns.append(path("django-admin/", admin.site.urls))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
