"""Bases of the admins whose records the admin never writes: read-only lists (the ledger,
events, decisions) and the staff consoles (orders, returns), where every change goes through
a console page that calls one service and staff holding any console permission may look."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nothing is added, changed or deleted through the admin's own forms."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ConsoleModelAdmin(ReadOnlyAdmin):
    # Any of these (besides the model's `view` permission) opens the list and the pages.
    console_permissions: tuple[str, ...] = ()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        return super().has_view_permission(request, obj) or any(
            user.has_perm(p) for p in self.console_permissions
        )


def action_form_page(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: Any,
    *,
    form: Any,
    action: str,
    title: str,
    intro: str,
    submit_label: str,
) -> TemplateResponse:
    """The intermediate page of a changelist action that asks for input (a form) before it
    runs on the selected rows; posting it back sets `apply`."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "title": title,
        "intro": intro,
        "queryset": queryset,
        "form": form,
        "action": action,
        "submit_label": submit_label,
    }
    return TemplateResponse(request, "admin/action_form.html", context)
