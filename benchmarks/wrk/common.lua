-- Shared by every benchmark script (loaded with dofile): counts the responses by status in each thread and
-- prints one JSON line from done() that benchmarks/national.py reads. wrk's own summary counts only
-- statuses >= 400 as errors; a page answering a redirect (to the sign-in page, say) would pass unnoticed,
-- so the expected status is given (BENCH_EXPECT) and everything else is counted.
local threads = {}
counts = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local statuses, exhausted = {}, 0
  for _, thread in ipairs(threads) do
    exhausted = exhausted + (tonumber(thread:get("exhausted")) or 0)
    for status, n in pairs(thread:get("counts") or {}) do
      statuses[status] = (statuses[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(statuses) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"exhausted": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, e.connect, e.read, e.write, e.timeout, exhausted, table.concat(parts, ", ")))
end
