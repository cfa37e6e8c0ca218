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
