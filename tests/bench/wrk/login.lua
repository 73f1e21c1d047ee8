-- Log in the way a browser does, once, before a measured run: GET /login, take the
-- session cookie and the csrf_token from the form, POST the credentials, keep the new
-- session cookie; optionally GET one more page to pick up a CSRF token for later forms.
-- Writes "Cookie header\nCSRF token\n" to out_file, then ends wrk at once.
--
-- Run with one thread and one connection:
--   wrk -t1 -c1 -d30s -s login.lua URL -- identifier=... password=... out_file=F [csrf_from=/path]

dofile((debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "common.lua")

local settings = {}
local state = "page"
local cookie, csrf = nil, nil

local function fail(message)
  io.stderr:write("login.lua: ", message, "\n")
  os.exit(1)
end

local function take_cookie(headers)
  for name, value in pairs(headers) do
    if name:lower() == "set-cookie" then
      cookie = value:match("^([^;]+)")
    end
  end
end

local function take_csrf(body)
  local token = body:match('name="csrf_token"[^>]-value="([^"]+)"')
    or body:match('value="([^"]+)"[^>]-name="csrf_token"')
  if token then csrf = token end
  return token
end

function init(args)
  settings = parse_args(args)
  if not (settings.identifier and settings.password and settings.out_file) then
    fail("identifier=, password= and out_file= are required")
  end
end

function request()
  if state == "page" then
    return wrk.format("GET", "/login")
  elseif state == "post" then
    local body = "identifier=" .. urlencode(settings.identifier) .. "&password=" .. urlencode(settings.password)
      .. "&csrf_token=" .. urlencode(csrf)
    return wrk.format("POST", "/login", {
      ["Cookie"] = cookie, ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
  elseif state == "csrf" then
    return wrk.format("GET", settings.csrf_from, { ["Cookie"] = cookie })
  end
  fail("request in unexpected state " .. state)
end

local function finish()
  local handle = assert(io.open(settings.out_file, "w"))
  handle:write(cookie, "\n", csrf or "", "\n")
  handle:close()
  os.exit(0)
end

function response(status, headers, body)
  if state == "page" then
    take_cookie(headers)
    if status ~= 200 or not cookie or not take_csrf(body) then
      fail("GET /login gave status " .. status .. " without a session cookie and csrf_token")
    end
    state = "post"
  elseif state == "post" then
    if status ~= 302 then
      fail("POST /login gave status " .. status .. " (expected a 302 redirect): wrong credentials?")
    end
    take_cookie(headers)
    local location = headers["Location"] or headers["location"] or ""
    if location:find("/login", 1, true) or location:find("/account/password", 1, true) then
      fail("log-in redirected to " .. location)
    end
    csrf = nil  -- the log-in cleared the session, and the form's token with it
    if settings.csrf_from then state = "csrf" else finish() end
  elseif state == "csrf" then
    take_cookie(headers)
    if status ~= 200 or not take_csrf(body) then
      fail("GET " .. settings.csrf_from .. " gave status " .. status .. " without a csrf_token")
    end
    finish()
  end
end
