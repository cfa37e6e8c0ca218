from django.apps import AppConfig


class OmsConfig(AppConfig):
    name = "oms"
    verbose_name = "Platform: channels, API keys, status hub"

    def ready(self) -> None:
        from oms.api import schema  # noqa: F401  (registers the OpenAPI schema extensions)

        from .hub import signals  # noqa: F401  (subscription changes renew the channel stamp)
        from .hub.targets import register_target
        from .hub.webhooks import WebhookTarget

        register_target(WebhookTarget())
        _dashboard_register()
        from .roles import role_permissions_register

        # Agents see failed deliveries (a customer e-mail or a shop update that never
        # arrived); subscriptions, the outbox, API keys and tasks stay with administrators.
        role_permissions_register("agent", ["oms.view_delivery"])


def _dashboard_register() -> None:
    from .dashboard import Queue, dashboard_queue_register
    from .hub.models import Delivery, WebhookSubscription

    dashboard_queue_register(
        Queue(
            key="deliveries-failed",
            group="Integration",
            label="Failed webhook deliveries",
            count=lambda: Delivery.objects.filter(status=Delivery.Status.FAILED).count(),
            url_name="admin:oms_delivery_changelist",
            query=f"status__exact={Delivery.Status.FAILED.value}",
            permission="oms.view_delivery",
            help="Gave up after every retry: fix the receiver, then replay.",
        )
    )
    dashboard_queue_register(
        Queue(
            key="subscriptions-disabled",
            group="Integration",
            label="Disabled webhook subscriptions",
            count=lambda: WebhookSubscription.objects.filter(disabled_at__isnull=False).count(),
            url_name="admin:oms_webhooksubscription_changelist",
            query="disabled_at__isnull=False",
            permission="oms.view_webhooksubscription",
        )
    )
