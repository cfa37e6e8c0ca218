-- Open-loop order intake for bench_ratios.py: wrk_orders.lua plus a delay before every order.
--
--   wrk -t 2 -c 64 -d 10s -s benchmarks/wrk_orders_open.lua http://127.0.0.1:PORT/api/v1/orders/ \
--       -- KEY RUN normal MEAN_GAP_MS
--
-- Every connection waits an exponentially distributed time (mean MEAN_GAP_MS) before each
-- order. With C connections the orders arrive as the sum of C such streams, close to a Poisson
-- stream of C / MEAN_GAP_MS per millisecond while answers are short against the mean gap
-- (bench_ratios.py uses 64 connections and a gap of about a second, answers of 10-50 ms).
-- wrk measures each answer from the moment its request is sent.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk_orders.lua")

function delay()
  local gap = tonumber(script_args[4])
  return -gap * math.log(1.0 - math.random())
end
