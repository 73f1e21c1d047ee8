-- The one measurement script every wrk scenario and every ceiling runs, so the load
-- generator is exactly the same for the portal and for the framework ceilings.
--
-- Arguments (after `--`), each key=value:
--   path=/x           request path; {token} is replaced by a unique value per request
--   method=GET        HTTP method
--   body=a=1&b={token} form body (POST); {token} as above, {csrf} by the token in session_file
--   session_file=F    file written by login.lua: line 1 the Cookie header, line 2 a CSRF token
--   expect=200        any other status counts as an error
--   tag=r1            prefix of the per-request tokens (unique per run)
--   ack_file=F        write the tokens echoed back as data-token="..." (acknowledged writes)
--   out_file=F        where done() writes its JSON (also printed after "BENCH_JSON ")
--
-- done() reports wrk's own summary and latency percentiles plus the per-thread counts
-- of expected and unexpected responses.

dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "common.lua")

threads = {}  -- global: report.lua's done() reads it

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

local settings = {}
ok_count, bad_count, sent_count = 0, 0, 0
statuses = {}
acked = {}
ack_file, out_file = nil, nil

local function read_lines(path)
  local lines = {}
  local handle = assert(io.open(path, "r"))
  for line in handle:lines() do
    table.insert(lines, line)
  end
  handle:close()
  return lines
end

local body_template, path_template, prefix, expect, want_ack
local counter = 0

function init(args)
  settings = parse_args(args)
  expect = tonumber(settings.expect or "200")
  want_ack = settings.ack_file ~= nil
  ack_file, out_file = settings.ack_file, settings.out_file
  prefix = (settings.tag or "r") .. "-" .. thread_no .. "-"
  wrk.method = settings.method or "GET"
  path_template = settings.path or "/"
  body_template = settings.body or ""
  if settings.session_file then
    local lines = read_lines(settings.session_file)
    wrk.headers["Cookie"] = lines[1]
    body_template = body_template:gsub("{csrf}", urlencode(lines[2] or ""))
  end
  if body_template ~= "" then
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  local dynamic = path_template:find("{token}", 1, true) or body_template:find("{token}", 1, true)
  if dynamic then
    request = function()
      counter = counter + 1
      sent_count = counter
      local token = prefix .. counter
      local path = path_template:gsub("{token}", token)
      local body = body_template:gsub("{token}", token)
      return wrk.format(nil, path, nil, body ~= "" and body or nil)
    end
  else
    wrk.path = path_template
    wrk.body = body_template ~= "" and body_template or nil
  end
end

function response(status, headers, body)
  if status == expect then
    ok_count = ok_count + 1
    if want_ack then
      local token = body:match('data%-token="([^"]+)"')
      if token then acked[#acked + 1] = token end
    end
  else
    bad_count = bad_count + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

-- encode() and done(): the shared report, in report.lua beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "report.lua")
