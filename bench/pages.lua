-- wrk script for bench/pages.py: every response's status, and the app's own numbers
-- from its Server-Timing header (core/bench.py): database ms, CPU ms, queries.
-- Each wrk thread keeps its own sums; done() adds them up and prints one JSON line.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  answers = 0
  timed = 0
  db_ms = 0
  cpu_ms = 0
  app_ms = 0
  queries = 0
  statuses = {}
end

function response(status, headers, body)
  answers = answers + 1
  statuses[status] = (statuses[status] or 0) + 1
  local timing = headers["Server-Timing"] or headers["server-timing"]
  if timing then
    timed = timed + 1
    db_ms = db_ms + (tonumber(timing:match("db;dur=([%d%.]+)")) or 0)
    cpu_ms = cpu_ms + (tonumber(timing:match("cpu;dur=([%d%.]+)")) or 0)
    app_ms = app_ms + (tonumber(timing:match("app;dur=([%d%.]+)")) or 0)
    queries = queries + (tonumber(timing:match("q;desc=\"?(%d+)")) or 0)
  end
end

function done(summary, latency, requests)
  local totals = {answers = 0, timed = 0, db_ms = 0, cpu_ms = 0, app_ms = 0, queries = 0}
  local all_statuses = {}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
    for status, n in pairs(thread:get("statuses") or {}) do
      all_statuses[tostring(status)] = (all_statuses[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(all_statuses) do
    table.insert(parts, string.format('"%s": %d', status, n))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p95_ms": %.3f, '
      .. '"max_ms": %.3f, "answers": %d, "timed": %d, "db_ms": %.3f, "cpu_ms": %.3f, '
      .. '"app_ms": %.3f, "queries": %d, "statuses": {%s}, "socket_errors": '
      .. '{"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency.max / 1000,
    totals.answers, totals.timed, totals.db_ms, totals.cpu_ms, totals.app_ms, totals.queries,
    table.concat(parts, ", "),
    errors.connect, errors.read, errors.write, errors.timeout
  ))
end
