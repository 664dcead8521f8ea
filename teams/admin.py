"""Reference data in the admin: regions, boards, schools, teams and who is in them."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from teams.models import Membership, Region, RegionRole, School, SchoolBoard, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    pass


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "sector"]
    list_filter = ["sector"]
    search_fields = ["name"]


@admin.register(SchoolBoard)
class SchoolBoardAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "brin", "sector", "board", "region"]
    list_filter = ["sector", "region"]
    list_select_related = ["board", "region"]
    search_fields = ["name", "brin"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "school"]
    list_filter = ["kind", "region"]
    list_select_related = ["region", "school"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role"]
    list_filter = ["role", "team__kind"]
    list_select_related = ["user", "team"]
    autocomplete_fields = ["user", "team"]


@admin.register(RegionRole)
class RegionRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "role"]
    list_filter = ["role", "region"]
    list_select_related = ["user", "region"]
    autocomplete_fields = ["user"]
