-- wrk script for the create calls the benchmark drives: every body is unique, every status is checked.
--
-- Arguments (after `--`): tag, kind, expected status, and for the kind:
--   payviox [namespaces]  POST /payviox/session; with a count N, each request goes to
--                         /ns/bench-<0..N-1>/payviox/session in turn (the fleet benchmark)
--   cdp TOKENS_FILE       POST /cdp/platform/v2/payment-sessions with the Bearer JWTs of the file,
--                         one a line, a different one each request (in turn, from the start
--                         again when the file runs out)
--   cubepay               POST /cubepay/payment-sessions with an API key
-- order_id and customer are unique per business and rate-limited per customer, so they carry
-- the run tag, the thread number and a per-thread counter (CDP's externalReferenceId and the
-- amounts too). `done` prints one machine-readable line that bench/load.py parses:
--   BENCH requests=N seconds=S unexpected=N socket_errors=N p50_us=N p99_us=N

local threads = {}
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_no", next_thread)
  table.insert(threads, thread)
end

-- globals, so `done` can read each thread's count with thread:get
tag, kind, expected, n, unexpected = "run", "payviox", 201, 0, 0
local tokens, namespaces = {}, 0

function init(args)
  tag = args[1] or "run"
  kind = args[2] or "payviox"
  expected = tonumber(args[3] or "201")
  if kind == "cdp" then
    for line in io.lines(args[4]) do
      tokens[#tokens + 1] = line
    end
  elseif kind ~= "payviox" and kind ~= "cubepay" then
    error("unknown kind " .. kind)
  end
  namespaces = kind == "payviox" and tonumber(args[4] or "0") or 0
end

local JSON = "application/json"

function request()
  n = n + 1
  local id = tag .. "-" .. thread_no .. "-" .. n
  if kind == "cdp" then
    local body = '{"amount":"' .. n .. '.00","asset":"usdc","target":{"address":' ..
      '"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913","network":"base"},"externalReferenceId":"order-' .. id .. '"}'
    return wrk.format("POST", "/cdp/platform/v2/payment-sessions", {
      ["Authorization"] = "Bearer " .. tokens[(n - 1) % #tokens + 1],
      ["Content-Type"] = JSON,
    }, body)
  end
  if kind == "cubepay" then
    return wrk.format("POST", "/cubepay/payment-sessions", {
      ["Authorization"] = "Bearer cubepay_test_bench",
      ["Content-Type"] = JSON,
    }, '{"amount":"' .. n .. '.00","currency":"USD"}')
  end
  local prefix = namespaces > 0 and ("/ns/bench-" .. (n % namespaces)) or ""
  local body = '{"amount":1500,"currency":"EUR","customer":"cust-' .. id .. '","order_id":"order-' .. id ..
    '","items":[{"name":"Widget","quantity":3,"price":500}]}'
  return wrk.format("POST", prefix .. "/payviox/session", {
    ["Authorization"] = "Bearer sk_test_bench",
    ["Content-Type"] = JSON,
  }, body)
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
  end
  local e = summary.errors
  io.write(string.format("BENCH requests=%d seconds=%.3f unexpected=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration / 1e6, bad, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
