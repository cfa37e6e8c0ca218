"""Routing strategy admin: drafts are edited here; active and retired versions are frozen.

A version that has been active routed real orders and their decision logs name it, so it is
shown read-only and cannot be changed or deleted. Going live is an audited action
("Activate selected draft") that needs the `routing.activate_strategyversion` permission.
"""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from oms.api.context import user_actor
from oms.errors import OMSError, error_words

from . import services
from .admin_trial import (
    activation_summaries,
    built_in_default_context,
    default_strategy_create_view,
    strategy_try_view,
)
from .forms import ALWAYS_ON_FENCES, WEIGHT_FIELDS, WEIGHTS_HELP, StrategyVersionForm
from .models import RoutingStrategy, StrategyVersion

_RULE_FIELDS = [
    "max_distance_km",
    "rating_weights",
    "tag_preferences",
    "split_allowed",
    "max_parts",
    "min_part_value",
    "allow_transfer_to_pickup",
    "transfer_days",
]
_RECORD_FIELDS = ["created_at", "created_by", "activated_at", "activated_by"]


def _rating_names() -> tuple[str, ...]:
    from routing.planner import RATING_NAMES

    return tuple(RATING_NAMES)


class StrategyVersionInline(admin.TabularInline):
    """The versions of a strategy, as a listing: edit a version on its own page."""

    model = StrategyVersion
    extra = 0
    fields = ["number", "status", "notes", "created_at", "created_by", "activated_at"]
    readonly_fields = fields
    ordering = ["-number"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RoutingStrategy)
class RoutingStrategyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "channel",
        "destination_country",
        "delivery_type",
        "precedence",
        "active_version",
    ]
    list_filter = ["channel", "delivery_type", "destination_country"]
    search_fields = ["name", "description"]
    inlines = [StrategyVersionInline]
    actions = ["create_draft"]
    change_list_template = "admin/routing/routingstrategy/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "built-in-default/copy/",
                self.admin_site.admin_view(partial(default_strategy_create_view, self)),
                name="routing_routingstrategy_copy_default",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**built_in_default_context(request), **(extra_context or {})}
        return super().changelist_view(request, context)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("channel").prefetch_related("versions")

    @admin.display(description="active version")
    def active_version(self, obj: RoutingStrategy) -> str:
        active = [v for v in obj.versions.all() if v.status == StrategyVersion.Status.ACTIVE]
        return f"v{active[0].number}" if active else "- (built-in default applies)"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            # A new strategy starts with draft v1 so there is something to edit and activate.
            draft = services.strategy_draft_create(strategy=obj, actor=user_actor(request.user))
            self.log_addition(request, draft, "Created draft v1 with the new strategy")

    def has_create_draft_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("routing.add_strategyversion")

    @admin.action(
        description="Create a new draft (copy of the active version)", permissions=["create_draft"]
    )
    def create_draft(self, request: HttpRequest, queryset: QuerySet) -> None:
        for strategy in queryset:
            draft = services.strategy_draft_create(
                strategy=strategy, actor=user_actor(request.user)
            )
            self.log_addition(request, draft, f"Created draft v{draft.number}")
            self.message_user(request, f"Created {draft}.", messages.SUCCESS)


@admin.register(StrategyVersion)
class StrategyVersionAdmin(admin.ModelAdmin):
    list_display = [
        "strategy",
        "number",
        "status",
        "weights",
        "split_allowed",
        "max_parts",
        "created_at",
        "activated_at",
        "activated_by",
    ]
    list_filter = ["status", "strategy"]
    search_fields = ["strategy__name", "notes"]
    list_select_related = ["strategy"]
    actions = ["activate", "create_draft_from"]
    form = StrategyVersionForm
    change_list_template = "admin/routing/routingstrategy/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/try/",
                self.admin_site.admin_view(partial(strategy_try_view, self)),
                name="routing_strategyversion_try",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**built_in_default_context(request), **(extra_context or {})}
        return super().changelist_view(request, context)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # A draft is a form only for who may change it; anyone else reads it as a frozen one.
        draft = (obj is None or obj.status == StrategyVersion.Status.DRAFT) and (
            self.has_change_permission(request, obj)
        )
        fences = ["always_on_fences", "distance_fence", "max_distance_km"]
        ratings = [*WEIGHT_FIELDS, "tag_preferences_text"]
        if not draft:
            fences = ["always_on_fences", "max_distance_km"]
            ratings = ["weights_table", "tag_preferences"]
        return [
            (None, {"fields": ["strategy", "number", "status", "notes", "try_it"]}),
            ("Fences", {"fields": fences}),
            ("Rating weights", {"fields": ratings, "description": WEIGHTS_HELP}),
            ("Splitting", {"fields": ["split_allowed", "max_parts", "min_part_value"]}),
            ("Click & collect", {"fields": ["allow_transfer_to_pickup", "transfer_days"]}),
            ("Record", {"fields": _RECORD_FIELDS}),
        ]

    # New versions come from the "create draft" actions (numbered and copied by the service).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Frozen once activated: the change view becomes a read-only view, and a POST is 403.
        if obj is not None and obj.status != StrategyVersion.Status.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status != StrategyVersion.Status.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def has_activate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("routing.activate_strategyversion")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = ["strategy", "number", "status", "always_on_fences", "try_it", *_RECORD_FIELDS]
        if obj is not None and obj.status != StrategyVersion.Status.DRAFT:
            return [*fixed, "notes", "weights_table", *_RULE_FIELDS]
        return fixed

    @admin.display(description="always applied")
    def always_on_fences(self, obj: StrategyVersion | None = None) -> str:
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>☑ {}</li>", ((f,) for f in ALWAYS_ON_FENCES)),
        )

    @admin.display(description="try it")
    def try_it(self, obj: StrategyVersion | None = None) -> str:
        if obj is None or obj.pk is None:
            return "-"
        url = reverse("admin:routing_strategyversion_try", args=[obj.pk])
        return format_html(
            '<a href="{}" id="try-strategy">Simulate an order and replay recent orders with '
            "this version</a>",
            url,
        )

    @admin.display(description="rating weights")
    def weights_table(self, obj: StrategyVersion) -> str:
        weights = obj.rating_weights or {}
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {}</li>",
                ((n.replace("_", " "), weights.get(n, 0)) for n in _rating_names()),
            ),
        )

    @admin.display(description="rating weights")
    def weights(self, obj: StrategyVersion) -> str:
        return ", ".join(f"{k}={v}" for k, v in (obj.rating_weights or {}).items()) or "-"

    @admin.action(description="Activate selected draft…", permissions=["activate"])
    def activate(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """First a confirmation page with each draft's replay summary against the version it
        replaces; activated only when that page is confirmed."""
        versions = list(queryset.select_related("strategy").order_by("strategy_id", "number"))
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "Activate strategy versions?",
                "summaries": activation_summaries(versions, request.POST.get("replay_orders")),
                "versions": versions,
            }
            return TemplateResponse(request, "admin/routing/activate_confirm.html", context)
        per_strategy = Counter(v.strategy_id for v in versions)
        actor = user_actor(request.user)
        for version in versions:
            if per_strategy[version.strategy_id] > 1:
                self.message_user(
                    request,
                    f"{version}: select one draft per strategy; only one version can be active.",
                    messages.ERROR,
                )
                continue
            previous = (
                StrategyVersion.objects.filter(
                    strategy_id=version.strategy_id, status=StrategyVersion.Status.ACTIVE
                )
                .values_list("number", flat=True)
                .first()
            )
            try:
                services.strategy_version_activate(version=version, actor=actor)
            except OMSError as exc:
                self.message_user(
                    request,
                    f"{version} was not activated: {error_words(exc)}",
                    messages.ERROR,
                )
                continue
            retired = f"; retired v{previous}" if previous is not None else ""
            self.log_change(request, version, f"Activated v{version.number}{retired}")
            self.message_user(
                request,
                f"{version.strategy.name} v{version.number} is now active{retired}.",
                messages.SUCCESS,
            )
        return None

    def has_create_draft_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("routing.add_strategyversion")

    @admin.action(description="Create new draft from this version", permissions=["create_draft"])
    def create_draft_from(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = user_actor(request.user)
        for source in queryset.select_related("strategy").order_by("strategy_id", "number"):
            draft = services.strategy_draft_create(
                strategy=source.strategy, actor=actor, copy_from=source
            )
            self.log_addition(
                request, draft, f"Created draft v{draft.number} from v{source.number}"
            )
            self.message_user(request, f"Created {draft} from v{source.number}.", messages.SUCCESS)
