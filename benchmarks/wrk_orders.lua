-- wrk script for order intake (bench_ratios.py): the same 3-line orders as bench_orders.py's
-- OrderFactory, sent by wrk as the reference endpoints are (../shared/bench/ceiling).
--
--   wrk -t 2 -c 8 -d 10s -s benchmarks/wrk_orders.lua http://127.0.0.1:PORT/api/v1/orders/ \
--       -- KEY RUN [MODE]
--
-- KEY: the API key. RUN: a prefix that makes references and Idempotency-Keys unique.
-- MODE: normal (3 random SKUs of 500, the default) or flash (one unit of the flash-sale SKU).
-- done() prints one JSON line: requests, statuses,
-- latency percentiles (microseconds).

local SKUS, LINES, PREFIX, FLASH = 500, 3, "BENCH-ORD-", "BENCH-ORD-FLASH"
local LAT, LON = { 47.6, 54.8 }, { 6.2, 14.9 }

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local key, run, flash
local n = 0
statuses = {}
script_args = {}

function init(args)
  script_args = args
  key, run, flash = args[1], args[2] .. "-" .. tid, args[3] == "flash"
  math.randomseed(tid * 7919 + os.time())
end

local function body(i)
  local picked, lines = {}, {}
  if flash then
    lines[1] = string.format('{"sku":"%s","quantity":1,"unit_price":"19.99"}', FLASH)
  end
  while #lines < LINES and not flash do
    local s = math.random(0, SKUS - 1)
    if not picked[s] then
      picked[s] = true
      lines[#lines + 1] = string.format(
        '{"sku":"%s%04d","quantity":%d,"unit_price":"9.95"}', PREFIX, s, math.random(1, 2))
    end
  end
  return string.format(
    '{"external_reference":"%s-%d","currency":"EUR",'
      .. '"customer":{"email":"c%d@example.com","name":"Bench Customer"},'
      .. '"shipping_address":{"name":"Bench Customer","street":"Teststr. 1",'
      .. '"postal_code":"10115","city":"Berlin","country":"DE",'
      .. '"latitude":%.5f,"longitude":%.5f},'
      .. '"shipping_total":"4.90","payment_status":"authorized","lines":[%s]}',
    run, i, i, LAT[1] + math.random() * (LAT[2] - LAT[1]),
    LON[1] + math.random() * (LON[2] - LON[1]), table.concat(lines, ","))
end

function request()
  n = n + 1
  return wrk.format("POST", nil, {
    ["Authorization"] = "Api-Key " .. key,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Idempotency-Key"] = run .. "-" .. n,
  }, body(n))
end

function response(status, headers, resp_body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local by_status = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts) do
      by_status[tostring(status)] = (by_status[tostring(status)] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(by_status) do
    parts[#parts + 1] = string.format('"%s":%d', status, count)
  end
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"socket_errors":%d,"statuses":{%s},'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ","), latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
