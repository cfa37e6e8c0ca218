"""psycopg's connection with one change: a transaction whose first statement is pipelined
opens with BEGIN in the same round trip.

psycopg starts a transaction by sending BEGIN before the first statement and, in pipeline
mode too, waits for its answer (a Sync after it: without one, libpq cannot tell the
transaction began, psycopg/psycopg#401). So every transaction costs a round trip of its own
before its first statement: the web worker waits, and PostgreSQL's backend wakes up, answers
and sleeps again. (Intake's two round trips fewer in the eighth session, this one and the API
key's, took about 4 % off the web worker's CPU per order; PostgreSQL's did not move within the
machine's noise: benchmarks/README.md.)

Here, when the first statement of a transaction is sent inside a pipeline
(`oms.db.pipelined`), BEGIN is queued in front of it without a Sync: both go out together and
their answers come back with the pipeline's Sync at the end of the block, which also tells
libpq the transaction is open. Statements later in the same block see the pipeline's own
BEGIN and add none. Outside a pipeline, or with a pipeline that began the transaction
already, psycopg's own behaviour is unchanged.

Intake's idempotency claim is sent this way (orders/idempotency.py). The contract of
`pipelined` holds: results are read after the block; a transaction committed inside a block
(`oms.db.execute_then_commit`) ends it, nothing may follow there.
Tests: tests/integration/test_pipelined.py.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import pq

_IDLE = pq.TransactionStatus.IDLE


class Connection(psycopg.Connection[Any]):
    # The pipeline whose queued BEGIN opened the current transaction (None: none did).
    _oms_begun_in: object | None = None

    def _start_query(self) -> Any:  # psycopg's PQGen[None]
        pipeline = self._pipeline
        if (
            pipeline is not None
            and not self._autocommit
            and self.pgconn.transaction_status == _IDLE
        ):
            if self._oms_begun_in is pipeline:
                return  # BEGIN is queued already: libpq learns it at the block's Sync
            self._oms_begun_in = pipeline
            yield from self._exec_command(self._get_tx_start_command())
            return
        yield from super()._start_query()
