-- wrk script: POST /webhooks/web-form with a unique Saudi mobile number per request.
-- The API key comes from the API_KEY environment variable.
local counter = 0
local thread_id = 0
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
  local n = thread_id * 10000000 + counter
  local phone = string.format("+9665%08d", n % 100000000)
  local body = string.format(
    '{"name":"Load %d","phone":"%s","message":"I am looking to buy an apartment in Dammam, budget around 800,000 SAR","source":"bench"}',
    n, phone)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["X-API-Key"] = os.getenv("API_KEY"),
  }, body)
end
