"""The base of the staff consoles' admins (orders, returns): the records are read-only in
the admin - every change goes through a console page that calls one service - and staff who
hold any of the console's permissions may open them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ConsoleModelAdmin(admin.ModelAdmin):
    # Any of these (besides the model's `view` permission) opens the list and the pages.
    console_permissions: tuple[str, ...] = ()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        return super().has_view_permission(request, obj) or any(
            user.has_perm(p) for p in self.console_permissions
        )
