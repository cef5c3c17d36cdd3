-- wrk script for POST /payviox/session: every body is unique, every status is checked.
--
-- order_id is unique per business and sessions are rate-limited per customer, so both carry
-- a run tag (first script argument), the thread number and a per-thread counter. `done`
-- prints one machine-readable line that bench/run.py parses:
--   BENCH requests=N seconds=S non201=N socket_errors=N p50_us=N p99_us=N

local threads = {}
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_no", next_thread)
  table.insert(threads, thread)
end

-- globals, so `done` can read each thread's count with thread:get
tag, n, non201 = "run", 0, 0

function init(args)
  tag = args[1] or "run"
end

function request()
  n = n + 1
  local id = tag .. "-" .. thread_no .. "-" .. n
  local body = '{"amount":1500,"currency":"EUR","customer":"cust-' .. id .. '","order_id":"order-' .. id ..
    '","items":[{"name":"Widget","quantity":3,"price":500}]}'
  return wrk.format("POST", "/payviox/session", {
    ["Authorization"] = "Bearer sk_test_bench",
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    non201 = non201 + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non201")
  end
  local e = summary.errors
  io.write(string.format("BENCH requests=%d seconds=%.3f non201=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration / 1e6, bad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
