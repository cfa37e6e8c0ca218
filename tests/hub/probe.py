"""A test delivery target: records what it is asked to send, fails on demand."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from oms.hub.targets import MessageDraft, PlannedDelivery, SendResult
from oms.models import Delivery


@dataclass
class ProbeTarget:
    kind: str = "probe"
    sent: list[tuple[int, str, int]] = field(default_factory=list)  # (order, type, sequence)
    behaviour: Callable[[Delivery], SendResult] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def plan(self, messages: Sequence[MessageDraft]) -> list[PlannedDelivery]:
        return [
            PlannedDelivery(index=i, kind=self.kind, ordering_key=f"probe:{m.order_id}")
            for i, m in enumerate(messages)
        ]

    def send(self, delivery: Delivery) -> SendResult:
        result = self.behaviour(delivery) if self.behaviour else SendResult(ok=True)
        if result.ok:
            with self.lock:
                self.sent.append(
                    (delivery.message.order_id or 0, delivery.message.topic, delivery.sequence)
                )
        return result
