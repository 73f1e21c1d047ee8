-- The report both wrk scripts end with: done() sums the threads' counters, writes the acknowledged
-- tokens to ack_file and the figures as JSON to out_file and stdout (BENCH_JSON ...), for run.py.
-- Loaded with dofile() by bench.lua, quiz_storm.lua and vote_storm.lua; each script keeps ok_count, bad_count,
-- sent_count, statuses and acked as thread globals and the `threads` list from setup(). A script
-- may define report_extra(result) to add its own figures before the report is written.

local function encode(value)
  local kind = type(value)
  if kind == "table" then
    local parts = {}
    for key, item in pairs(value) do
      table.insert(parts, string.format("%q:%s", tostring(key), encode(item)))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif kind == "string" then
    return string.format("%q", value)
  elseif kind == "boolean" then
    return tostring(value)
  elseif kind == "number" and value == value and value ~= math.huge and value ~= -math.huge then
    return string.format("%.17g", value)
  end
  return "null"
end

function done(summary, latency, requests)
  local ok, bad, sent, unexpected, ack_count = 0, 0, 0, {}, 0
  local ack_path, out_path = threads[1]:get("ack_file"), threads[1]:get("out_file")
  local ack_handle = ack_path and assert(io.open(ack_path, "w"))
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("ok_count")
    bad = bad + thread:get("bad_count")
    sent = sent + thread:get("sent_count")
    for status, count in pairs(thread:get("statuses")) do
      unexpected[tostring(status)] = (unexpected[tostring(status)] or 0) + count
    end
    if ack_handle then
      for _, token in ipairs(thread:get("acked")) do
        ack_handle:write(token, "\n")
        ack_count = ack_count + 1
      end
    end
  end
  if ack_handle then ack_handle:close() end
  local result = {
    duration_us = summary.duration, requests = summary.requests, bytes = summary.bytes,
    connect_errors = summary.errors.connect, read_errors = summary.errors.read,
    write_errors = summary.errors.write, status_errors = summary.errors.status,
    timeouts = summary.errors.timeout,
    p50_us = latency:percentile(50), p90_us = latency:percentile(90),
    p99_us = latency:percentile(99), max_us = latency.max, mean_us = latency.mean,
    ok = ok, unexpected = bad, unexpected_statuses = unexpected, sent = sent, acked = ack_count,
  }
  if report_extra then report_extra(result) end
  local text = encode(result)
  if out_path then
    local handle = assert(io.open(out_path, "w"))
    handle:write(text)
    handle:close()
  end
  io.write("BENCH_JSON ", text, "\n")
end
