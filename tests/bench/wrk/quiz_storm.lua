-- quiz_submit_storm: many members, each with their own session and open attempt, autosave two
-- answers and hand the test in. Driven like bench.lua (same arguments, same done() report), but
-- every request belongs to one member, so the requests are built here.
--
-- Arguments (after `--`), each key=value, as run.py passes them:
--   body=members=F&threads=N  F: lines "attempt id<TAB>Cookie header<TAB>CSRF token<TAB>questions"
--                              (from the setup hooks); N: wrk threads (members dealt out by line number)
--   tag, ack_file, out_file   as in bench.lua; path, method and expect are ignored: an autosave
--                              expects 200 with "saved":true, a submit the 302 back to its attempt
--
-- Each thread takes its members in waves of WAVE: question 1 for the wave, question 2 for the
-- wave, then 交卷 for the wave (the whole paper, as the page's form posts it), so one member's
-- requests are never in flight at the same time.
-- Once every member of the thread has handed in, it replays submits (which must change nothing).
-- Acknowledged: "save:<attempt>:<position>" and "submit:<attempt>", for count_after.
--
-- Cookies as a phone's browser keeps them: a response whose Set-Cookie renews the session cookie
-- (the portal does so at most once a minute, and on a flash) replaces that member's cookie, found
-- by the attempt id the response names (an autosave's JSON "attempt", a submit's Location).
--
-- The storm itself (each member's 3 steps, not the replays) is timed apart from wrk's figures:
-- per thread, from its first request() to the response to its last storm request (or its last
-- storm response, if the run ended first), with the latency of every storm request. done() adds
-- storm_requests (storm_ok + storm_bad), storm_seconds (last thread's end - first thread's start),
-- storm_complete (every thread got all its storm responses), and submit_p50_ms, submit_p99_ms,
-- save_p99_ms, storm_p99_ms from those samples. Replays are still sent, but in none of these.

dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "common.lua")

threads = {}  -- global: report.lua's done() reads it

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

local WAVE = 48
local ANSWERS = { "B", "C" }  -- position 1 and 2; must match quiz_hooks.PLAN
ok_count, bad_count, sent_count = 0, 0, 0
statuses = {}
acked = {}
ack_file, out_file = nil, nil

-- The storm's figures, thread globals for done(): clock times in seconds, latencies in ms.
storm_start, storm_end, storm_total, storm_ok, storm_bad = nil, nil, 0, 0, 0
save_ms, submit_ms = {}, {}

local settings = {}
local members = {}
local by_attempt = {}  -- attempt id (string) -> member
local pending = {}     -- attempt..":"..step -> send time, for storm requests awaiting their response
local storm_sent = 0
local cookie_name
local wave_start, phase, offset, replay = 1, 1, 0, 0

local now = monotonic_now

function init(args)
  settings = parse_args(args)
  ack_file, out_file = settings.ack_file, settings.out_file
  local file = (settings.body or ""):match("members=([^&]+)")
  local count = tonumber((settings.body or ""):match("threads=(%d+)") or "1")
  assert(file, "quiz_storm.lua needs body=members=FILE&threads=N")
  local line_no = 0
  for line in io.lines(file) do
    line_no = line_no + 1
    if (line_no - 1) % count == thread_no - 1 then
      local attempt, cookie, csrf, size = line:match("^(%d+)\t([^\t]+)\t([^\t]+)\t(%d+)$")
      if attempt then
        local member = { attempt = attempt, cookie = cookie, csrf = csrf, token = urlencode(csrf),
                         size = tonumber(size) }
        table.insert(members, member)
        by_attempt[attempt] = member
        cookie_name = cookie_name or cookie:match("^([^=]+)=")
      end
    end
  end
  assert(#members > 0, "quiz_storm.lua: no members for thread " .. thread_no)
  storm_total = 3 * #members
end

-- The next member and step (1, 2: autosave; 3: submit), and whether it is a replay.
local function next_step()
  if wave_start > #members then
    for _ = 1, #members do  -- not a member whose storm submit is still in flight (its response would be ambiguous)
      replay = replay % #members + 1
      if not pending[members[replay].attempt .. ":3"] then break end
    end
    return members[replay], 3, true
  end
  local size = math.min(WAVE, #members - wave_start + 1)
  local member, step = members[wave_start + offset], phase
  offset = offset + 1
  if offset >= size then
    offset, phase = 0, phase + 1
    if phase > 3 then phase, wave_start = 1, wave_start + size end
  end
  return member, step, false
end

local function build(member, step)
  local headers = {
    ["Cookie"] = member.cookie, ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-CSRFToken"] = member.csrf, ["Accept"] = "application/json",
  }
  if step <= 2 then
    local body = "csrf_token=" .. member.token .. "&position=" .. step .. "&q" .. step .. "=" .. ANSWERS[step]
    return wrk.format("POST", "/study/attempts/" .. member.attempt .. "/answer", headers, body)
  end
  -- 交卷 posts the whole paper, as the browser does: every question shown, the answers ticked.
  local form = { "csrf_token=" .. member.token }
  for position = 1, member.size do form[#form + 1] = "shown=" .. position end
  for position, letter in ipairs(ANSWERS) do form[#form + 1] = "q" .. position .. "=" .. letter end
  return wrk.format("POST", "/study/attempts/" .. member.attempt .. "/submit", headers, table.concat(form, "&"))
end

-- Before the run, wrk builds one request on its first thread only to check that it parses
-- (script_verify_request) and never sends it: that call must not use up a step nor start the clock.
local verified = false

function request()
  if not verified then
    verified = true
    if thread_no == 1 then return build(members[1], 1) end
  end
  sent_count = sent_count + 1
  local member, step, replayed = next_step()
  local sent = now()
  storm_start = storm_start or sent
  if not replayed then
    storm_sent = storm_sent + 1
    pending[member.attempt .. ":" .. step] = sent
  end
  return build(member, step)
end

-- A browser keeps the session cookie the response renews (the text before the first ";").
local function keep_cookie(member, headers)
  local set_cookie = headers["Set-Cookie"] or headers["set-cookie"]
  if member and cookie_name and set_cookie then
    local pair = set_cookie:match("^%s*([^;]*)")
    if pair and pair:sub(1, #cookie_name + 1) == cookie_name .. "=" then member.cookie = pair end
  end
end

-- A storm request answered: its latency (if the response says which request it was) and the clock.
local function storm_answered(good, step, sent, at)
  if good then storm_ok = storm_ok + 1 else storm_bad = storm_bad + 1 end
  if sent then
    local samples = step == 3 and submit_ms or save_ms
    samples[#samples + 1] = (at - sent) * 1000
  end
  storm_end = at
end

function response(status, headers, body)
  local at = now()
  local attempt, step = body:match('"attempt":%s*(%d+)'), nil
  local position = body:match('"position":%s*(%d+)')
  local location = headers["Location"] or headers["location"] or ""
  local submitted = location:match("/study/attempts/(%d+)$")
  if attempt then
    step = tonumber(position)
  elseif submitted then
    attempt, step = submitted, 3
  end
  keep_cookie(attempt and by_attempt[attempt], headers)
  local good = false
  if status == 200 and body:find('"saved":%s*true') then
    good = true
    if attempt and position then acked[#acked + 1] = "save:" .. attempt .. ":" .. position end
  elseif status == 302 and submitted then
    good = true
    acked[#acked + 1] = "submit:" .. submitted
  end
  if good then
    ok_count = ok_count + 1
  else
    bad_count = bad_count + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
  -- A storm response: the one its pending request awaits. A bad response that names no request is
  -- counted to the storm while storm requests are still unanswered (no latency sample).
  local key = attempt and step and (attempt .. ":" .. step)
  local sent = key and pending[key]
  if sent then
    pending[key] = nil
    storm_answered(good, step, sent, at)
  elseif not good and not key and storm_ok + storm_bad < storm_sent then
    storm_answered(false, nil, nil, at)
  end
end

local function percentile(samples, pct)
  if #samples == 0 then return nil end
  table.sort(samples)
  return samples[math.max(1, math.min(#samples, math.ceil(#samples * pct / 100)))]
end

-- Called by report.lua's done() (main state): the storm's figures, summed over the threads.
function report_extra(result)
  local first, last, answered, ok, bad, complete = nil, nil, 0, 0, 0, true
  local saves, submits, all = {}, {}, {}
  for _, thread in ipairs(threads) do
    local started, ended = thread:get("storm_start"), thread:get("storm_end")
    local thread_ok, thread_bad = thread:get("storm_ok"), thread:get("storm_bad")
    ok, bad = ok + thread_ok, bad + thread_bad
    answered = answered + thread_ok + thread_bad
    if thread_ok + thread_bad < thread:get("storm_total") then complete = false end
    if started and (not first or started < first) then first = started end
    if ended and (not last or ended > last) then last = ended end
    for _, value in ipairs(thread:get("save_ms")) do saves[#saves + 1] = value; all[#all + 1] = value end
    for _, value in ipairs(thread:get("submit_ms")) do submits[#submits + 1] = value; all[#all + 1] = value end
  end
  result.storm_requests, result.storm_ok, result.storm_bad = answered, ok, bad
  result.storm_seconds = first and last and last > first and (last - first) or nil
  result.storm_complete = complete
  result.submit_p50_ms, result.submit_p99_ms = percentile(submits, 50), percentile(submits, 99)
  result.save_p99_ms, result.storm_p99_ms = percentile(saves, 99), percentile(all, 99)
  result.storm_samples = #all
end

-- encode() and done(): the shared report, in report.lua beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "report.lua")
