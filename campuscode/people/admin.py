from django.contrib import admin

from campuscode.people.models import OrgUnit, Person, RoleAssignment


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "parent", "path"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "kind", "org_unit", "state"]
    list_filter = ["kind", "state", "school"]
    search_fields = ["number", "name"]
    raw_id_fields = ["org_unit", "user"]
    exclude = ["phone", "email"]  # contact data is read through the audited people pages


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "org_unit", "granted_at"]
    list_filter = ["role"]
    raw_id_fields = ["user", "org_unit"]
