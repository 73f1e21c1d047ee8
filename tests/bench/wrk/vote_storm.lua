-- vote_storm: every eligible voter, each with their own session, casts the whole ballot (every
-- category) in one POST, as the confirmation page sends it; then some of them send it again.
-- Driven like bench.lua (same arguments, same done() report), but every request belongs to one
-- voter, so the requests are built here.
--
-- Arguments (after `--`), each key=value, as run.py passes them:
--   path=/exemplars/C/vote/cast   where the ballot is posted
--   body=voters=F&threads=N&replays=R
--       F: lines "person id<TAB>account name<TAB>Cookie header<TAB>CSRF token<TAB>ballot fields"
--          (exemplar_hooks.storm_before_run); N: wrk threads (voters dealt out by line number);
--       R: replays per thread once its voters are all sent
--   tag, ack_file                 as in bench.lua; method and expect are ignored (below)
--
-- A cast carries the voter's CSRF token and a fresh one-time key (core.submit_keys: 22 characters
-- of A-Z a-z 0-9 - _, unique per request). It is acknowledged by its answer, the 302 to the
-- campaign's receipt page (post/redirect/get: the receipt waits in the voter's session, and a
-- browser then loads it; that page is a read like any other and not part of the storm). The answer
-- does not say whose cast it was, so an acknowledgement is the token "cast" and count_after
-- compares their number with the voters marked in every category.
--
-- Replays: once a thread has sent every voter's cast, it sends casts again, with a new key (a
-- second device: refused, "您已经投过票", a 302 to the campaign page: the expected answer to a
-- replay, not an error); count_after checks that they changed nothing. The same key sent twice
-- (a double tap) is tests/exemplars' (it answers with the first cast's redirect, which this
-- script could not tell from a new cast's).
--
-- Latency: the answers do not say which request they belong to, so p50 / p99 are wrk's own over
-- the run (the casts, and the few replays at its end).
--
-- A run is one storm: a thread is done once every cast it sent has been acknowledged (or 5 s,
-- wrk's timeout, after its last cast was sent) and it has sent R replays; when every thread is
-- done, the script interrupts wrk (SIGINT to its main thread, which then reports), so the run
-- lasts as long as the storm does and wrk's -d is only the cap. A done thread goes on replaying
-- until then: a connection left idle would hold a gunicorn sync worker waiting for its request.
--
-- Errors: every cast not acknowledged (storm_sent - storm_ok), plus every answer that is neither
-- a receipt nor a refusal once replays have begun (before that, such an answer can only be a
-- failed cast's, already counted). The storm is timed apart from wrk's figures: from the first cast sent to the
-- last cast acknowledged, over all threads. done() adds storm_requests, storm_seconds,
-- storm_complete, submit_p50_ms / submit_p99_ms (wrk's, above), replays, replays_refused.

dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "common.lua")

threads = {}  -- global: report.lua's done() reads it

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

ok_count, bad_count, sent_count = 0, 0, 0
statuses = {}
acked = {}
ack_file, out_file = nil, nil

-- Thread globals for report_extra(): clock times in seconds, latencies in ms.
storm_start, storm_end, storm_sent, storm_ok, last_cast_sent = nil, nil, 0, 0, nil
replay_sent, refused, replay_phase_bad, finished = 0, 0, 0, false

local settings = {}
local voters = {}
local next_voter, replay_target = 1, 0
local CAST_TIMEOUT = 5  -- seconds: wrk's --timeout, after which an unanswered cast is an error anyway
local campaign_path, tag, done_prefix, thread_count
local key_counter = 0
local KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

local ffi = require("ffi")
ffi.cdef [[
int getpid(void);
int kill(int pid, int sig);
int tgkill(int tgid, int tid, int sig);
]]
local SIGINT = 2
local now = monotonic_now

function init(args)
  settings = parse_args(args)
  ack_file, out_file = settings.ack_file, settings.out_file
  local body = settings.body or ""
  local file = body:match("voters=([^&]+)")
  thread_count = tonumber(body:match("threads=(%d+)") or "1")
  assert(file, "vote_storm.lua needs body=voters=FILE&threads=N&replays=R")
  campaign_path = (settings.path or ""):match("^(/exemplars/%d+)/vote/cast$")
  assert(campaign_path, "vote_storm.lua needs path=/exemplars/<id>/vote/cast")
  tag = (settings.tag or "r"):gsub("[^%w]", "")
  done_prefix = file .. ".done."
  math.randomseed(os.time() * 100 + thread_no)
  local line_no = 0
  for line in io.lines(file) do
    line_no = line_no + 1
    if (line_no - 1) % thread_count == thread_no - 1 then
      local pid, name, cookie, csrf, fields = line:match("^(%d+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)$")
      if pid then
        table.insert(voters, { pid = pid, name = name, cookie = cookie, token = urlencode(csrf), fields = fields })
      end
    end
  end
  assert(#voters > 0, "vote_storm.lua: no voters for thread " .. thread_no)
  replay_target = math.min(#voters, tonumber(body:match("replays=(%d+)") or "0"))
end

-- A fresh one-time key: unique per run (tag), thread and request, padded at random to 22 characters.
local function new_key()
  key_counter = key_counter + 1
  local key = tag .. "t" .. thread_no .. "n" .. key_counter
  while #key < 22 do
    local at = math.random(#KEY_CHARS)
    key = key .. KEY_CHARS:sub(at, at)
  end
  return key:sub(1, 22)
end

local function build(voter, key)
  local headers = { ["Cookie"] = voter.cookie, ["Content-Type"] = "application/x-www-form-urlencoded" }
  local body = "csrf_token=" .. voter.token .. "&submit_key=" .. key
  if voter.fields ~= "" then body = body .. "&" .. voter.fields end
  return wrk.format("POST", campaign_path .. "/vote/cast", headers, body)
end

-- Before the run, wrk builds one request on its first thread only to check that it parses
-- (script_verify_request) and never sends it: that call must not use up a voter nor start the clock.
local verified = false

function request()
  if not verified then
    verified = true
    if thread_no == 1 then return build(voters[1], new_key()) end
  end
  sent_count = sent_count + 1
  if next_voter <= #voters then
    local voter = voters[next_voter]
    next_voter = next_voter + 1
    local sent = now()
    storm_start = storm_start or sent
    storm_sent, last_cast_sent = storm_sent + 1, sent
    return build(voter, new_key())
  end
  replay_sent = replay_sent + 1
  return build(voters[(replay_sent - 1) % #voters + 1], new_key())
end

-- This thread is done: the last thread to get there ends the run (a marker file per thread).
local function finish()
  finished = true
  local marker = assert(io.open(done_prefix .. thread_no, "w"))
  marker:write("done\n")
  marker:close()
  for n = 1, thread_count do
    local other = io.open(done_prefix .. n, "r")
    if not other then return end
    other:close()
  end
  local pid = ffi.C.getpid()
  if not pcall(function() ffi.C.tgkill(pid, pid, SIGINT) end) then ffi.C.kill(pid, SIGINT) end
end

function response(status, headers, body)
  local at = now()
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and location:match(campaign_path .. "/receipt$") then
    storm_ok, storm_end = storm_ok + 1, at  -- a cast booked: its receipt waits in that voter's session
    acked[#acked + 1] = "cast"
    ok_count = ok_count + 1
  elseif status == 302 and location:match(campaign_path .. "$") then
    refused = refused + 1  -- a replay's expected answer (a cast refused stays unacknowledged: an error)
    ok_count = ok_count + 1
  else
    bad_count = bad_count + 1  -- an error page, or a timeout's late answer
    statuses[status] = (statuses[status] or 0) + 1
    if replay_sent > 0 then replay_phase_bad = replay_phase_bad + 1 end
  end
  if not finished and next_voter > #voters and replay_sent >= replay_target
      and (storm_ok == storm_sent or at - last_cast_sent > CAST_TIMEOUT) then
    finish()
  end
end

-- Called by report.lua's done() (main state): the storm's figures, summed over the threads.
function report_extra(result)
  local first, last, sent, ok, replays, refusals, complete = nil, nil, 0, 0, 0, 0, true
  for _, thread in ipairs(threads) do
    local started, ended = thread:get("storm_start"), thread:get("storm_end")
    if started and (not first or started < first) then first = started end
    if ended and (not last or ended > last) then last = ended end
    sent, ok = sent + thread:get("storm_sent"), ok + thread:get("storm_ok")
    replays, refusals = replays + thread:get("replay_sent"), refusals + thread:get("refused")
    if not thread:get("finished") then complete = false end
  end
  -- Errors: every cast not acknowledged, and the bad answers that came once replays had begun
  -- (earlier ones answered casts, already counted as not acknowledged).
  local late_bad = 0
  for _, thread in ipairs(threads) do late_bad = late_bad + thread:get("replay_phase_bad") end
  result.unexpected = (sent - ok) + late_bad
  result.casts_unacknowledged = sent - ok
  result.storm_requests = sent
  result.storm_ok = ok
  result.storm_seconds = first and last and last > first and (last - first) or nil
  result.storm_complete = complete
  result.storm_step = "cast"
  result.submit_p50_ms, result.submit_p99_ms = result.p50_us / 1000, result.p99_us / 1000
  result.replays, result.replays_refused = replays, refusals
end

-- encode() and done(): the shared report, in report.lua beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "report.lua")
