"""The staff console's admin site: a dashboard for a home page and a menu grouped by task.

Django's admin lists models by app (19 tables, plumbing first). Agents think in tasks: the
menu groups the same models under Orders, Stock, Routing, Returns, Integration and
Administration; a model not named here lands in Administration. Which models a staff member
sees is still Django's permission check (a model without any permission of theirs is not
listed), so the plumbing (outbox, task queue, API keys) stays out of an agent's menu
(`setup_groups` gives agents no permission on it).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from .dashboard import dashboard_context

MENU_GROUPS: dict[str, tuple[str, ...]] = {
    "Orders": (
        "orders.order",
        "orders.fulfilment",
        "orders.orderevent",
        "orders.checkouthold",
    ),
    "Stock": (
        "inventory.product",
        "inventory.stocklevel",
        "inventory.inboundstock",
        "inventory.stockmovement",
        "inventory.reservation",
        "inventory.location",
    ),
    "Routing": ("routing.routingstrategy", "routing.strategyversion", "orders.routingdecision"),
    "Returns": (
        "returns.returnrequest",
        "returns.qualityhold",
        "returns.returnpolicy",
        "returns.returnreason",
    ),
    "Integration": (
        "oms.webhooksubscription",
        "oms.delivery",
        "oms.outboxmessage",
        "oms.apikey",
        "django_dramatiq.task",
    ),
    "Administration": ("oms.channel", "auth.user", "auth.group"),
}
FALLBACK_GROUP = "Administration"


def menu_group_of(app_label: str, model_name: str) -> str:
    key = f"{app_label}.{model_name}"
    for group, models in MENU_GROUPS.items():
        if key in models:
            return group
    return FALLBACK_GROUP


class OMSAdminSite(admin.AdminSite):
    site_header = "OMS staff console"
    site_title = "OMS staff console"
    index_title = "Dashboard"
    index_template = "admin/dashboard.html"
    # "View site" leads to something useful: the API documentation (base_site.html names it).
    site_url = "/api/docs/"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:  # an app's own index page keeps Django's layout
            return apps
        groups: dict[str, list[dict[str, Any]]] = {name: [] for name in MENU_GROUPS}
        for app in apps:
            for model in app["models"]:
                group = menu_group_of(app["app_label"], model["object_name"].lower())
                groups[group].append(model)
        order = {key: i for models in MENU_GROUPS.values() for i, key in enumerate(models)}
        result = []
        for name, models in groups.items():
            if not models:
                continue
            models.sort(key=lambda m: (order.get(_model_key(m), 99), str(m["name"])))
            result.append(
                {
                    "name": name,
                    "app_label": f"task-{name.lower()}",
                    "app_url": reverse("admin:index"),
                    "has_module_perms": True,
                    "models": models,
                }
            )
        return result

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        context = {**dashboard_context(request.user), **(extra_context or {})}
        response = super().index(request, context)
        assert isinstance(response, TemplateResponse)
        return response


def _model_key(model: dict[str, Any]) -> str:
    model_class = model.get("model")
    if model_class is None:
        return ""
    return f"{model_class._meta.app_label}.{model_class._meta.model_name}"
