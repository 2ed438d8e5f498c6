-- wrk script: POST /webhooks/web-form with a unique Saudi mobile number per request.
-- The API key comes from the API_KEY environment variable; RUN (0 to 3) gives each run its own
-- mobile prefixes so that successive runs against one database never reuse a number.
local counter = 0
local thread_id = 0
local run = tonumber(os.getenv("RUN") or "0") or 0
-- Saudi mobile prefixes; each run and wrk thread numbers up to 10,000,000 leads under its own.
local prefixes = { "50", "53", "54", "55", "56", "57", "58", "59" }
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tonumber(tid) or 0
end

function request()
  counter = counter + 1
  local n = counter
  local prefix = prefixes[(run * 2 + thread_id) % #prefixes + 1]
  local phone = string.format("+966%s%07d", prefix, n % 10000000)
  local body = string.format(
    '{"name":"Load %d","phone":"%s","message":"I am looking to buy an apartment in Dammam, budget around 800,000 SAR","source":"bench"}',
    n, phone)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["X-API-Key"] = os.getenv("API_KEY"),
  }, body)
end
