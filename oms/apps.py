from django.apps import AppConfig


class OmsConfig(AppConfig):
    name = "oms"
    verbose_name = "Platform: channels, API keys, status hub"

    def ready(self) -> None:
        from .hub.targets import register_target
        from .hub.webhooks import WebhookTarget

        register_target(WebhookTarget())
