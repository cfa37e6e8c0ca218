"""A minimal TCP load balancer on loopback for bench_scaling.py: each client connection goes to
the next backend in turn (gunicorn's sync workers answer one request per connection, so this
spreads requests as a round-robin HTTP balancer would). Benchmark use only.

    .venv/bin/python benchmarks/loopback_balancer.py --listen 8100 --backend 8001 --backend 8002
"""

from __future__ import annotations

import argparse
import asyncio
import itertools


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main(listen: int, backends: list[int]) -> None:
    turn = itertools.cycle(backends)

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            backend_r, backend_w = await asyncio.open_connection("127.0.0.1", next(turn))
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_pipe(client_r, backend_w), _pipe(backend_r, client_w))

    server = await asyncio.start_server(handle, "127.0.0.1", listen, backlog=256)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--backend", type=int, action="append", required=True)
    args = parser.parse_args()
    asyncio.run(main(args.listen, args.backend))
