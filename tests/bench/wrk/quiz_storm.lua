-- quiz_submit_storm: many members, each with their own session and open attempt, autosave two
-- answers and hand the test in. Driven like bench.lua (same arguments, same done() report), but
-- every request belongs to one member, so the requests are built here.
--
-- Arguments (after `--`), each key=value, as run.py passes them:
--   body=members=F&threads=N  F: lines "attempt id<TAB>Cookie header<TAB>CSRF token" (from the setup
--                              hooks); N: wrk threads (members are dealt out by line number)
--   tag, ack_file, out_file   as in bench.lua; path, method and expect are ignored: an autosave
--                              expects 200 with "saved":true, a submit the 302 back to its attempt
--
-- Each thread takes its members in waves of WAVE: question 1 for the wave, question 2 for the
-- wave, then 交卷 for the wave, so one member's requests are never in flight at the same time.
-- Once every member of the thread has handed in, it replays submits (which must change nothing).
-- Acknowledged: "save:<attempt>:<position>" and "submit:<attempt>", for count_after.

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

local settings = {}
local members = {}
local wave_start, phase, offset, replay = 1, 1, 0, 0

local function urlencode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then settings[key] = value end
  end
  ack_file, out_file = settings.ack_file, settings.out_file
  local file = (settings.body or ""):match("members=([^&]+)")
  local count = tonumber((settings.body or ""):match("threads=(%d+)") or "1")
  assert(file, "quiz_storm.lua needs body=members=FILE&threads=N")
  local line_no = 0
  for line in io.lines(file) do
    line_no = line_no + 1
    if (line_no - 1) % count == thread_no - 1 then
      local attempt, cookie, csrf = line:match("^(%d+)\t([^\t]+)\t(.+)$")
      if attempt then
        table.insert(members, { attempt = attempt, cookie = cookie, csrf = csrf, token = urlencode(csrf) })
      end
    end
  end
  assert(#members > 0, "quiz_storm.lua: no members for thread " .. thread_no)
end

local function next_step()
  if wave_start > #members then
    replay = replay % #members + 1
    return members[replay], 3
  end
  local size = math.min(WAVE, #members - wave_start + 1)
  local member, step = members[wave_start + offset], phase
  offset = offset + 1
  if offset >= size then
    offset, phase = 0, phase + 1
    if phase > 3 then phase, wave_start = 1, wave_start + size end
  end
  return member, step
end

function request()
  sent_count = sent_count + 1
  local member, step = next_step()
  local headers = {
    ["Cookie"] = member.cookie, ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-CSRFToken"] = member.csrf, ["Accept"] = "application/json",
  }
  if step <= 2 then
    local body = "csrf_token=" .. member.token .. "&position=" .. step .. "&q" .. step .. "=" .. ANSWERS[step]
    return wrk.format("POST", "/study/attempts/" .. member.attempt .. "/answer", headers, body)
  end
  return wrk.format("POST", "/study/attempts/" .. member.attempt .. "/submit", headers, "csrf_token=" .. member.token)
end

function response(status, headers, body)
  if status == 200 and body:find('"saved":%s*true') then
    ok_count = ok_count + 1
    local attempt = body:match('"attempt":%s*(%d+)')
    local position = body:match('"position":%s*(%d+)')
    if attempt and position then acked[#acked + 1] = "save:" .. attempt .. ":" .. position end
    return
  end
  local location = headers["Location"] or headers["location"] or ""
  local attempt = location:match("/study/attempts/(%d+)$")
  if status == 302 and attempt then
    ok_count = ok_count + 1
    acked[#acked + 1] = "submit:" .. attempt
    return
  end
  bad_count = bad_count + 1
  statuses[status] = (statuses[status] or 0) + 1
end

-- encode() and done(): the shared report, in report.lua beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "report.lua")
