-- The public verification page, each request from another client address (X-Forwarded-For; the portal runs
-- with PROXY_COUNT=1 as behind one reverse proxy). The rate limiter (30 tries a minute per client) stays on and its
-- cost is measured, but a fixed client would get 429 from the 31st request of a minute on and measure the limiter
-- alone.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local n = 0
local prefix = 0

function init(args)
  math.randomseed(os.time())
  prefix = math.random(1, 250)
end

function request()
  n = n + 1
  local address = string.format("10.%d.%d.%d", prefix, math.floor(n / 250) % 250, n % 250 + 1)
  return wrk.format(nil, nil, {["X-Forwarded-For"] = address})
end
