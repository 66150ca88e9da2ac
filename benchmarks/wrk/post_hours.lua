-- The unit clerk's single hour-entry form (POST /hours/new), each request a new entry: the next free
-- (volunteer, day) pair of BENCH_PAIRS (one "person_id,YYYY-MM-DD" a line, listed by benchmarks/national.py
-- from the manifest's hours_post and the entries already in the database). A saved entry answers 302;
-- a refused one 422 (counted as an error). When the pairs run out the thread stops rather than post
-- duplicates. Run with one thread (-t1) so that no two threads take the same pair.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local pairs_list = {}
local next_pair = 1
exhausted = 0

for line in io.lines(os.getenv("BENCH_PAIRS")) do
  table.insert(pairs_list, line)
end

local prefix = "csrf_token=" .. os.getenv("BENCH_CSRF") .. "&field_code=" .. os.getenv("BENCH_FIELD") ..
  "&hours=1&content=&persons_served=&q=&end_on="

wrk.method = "POST"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

-- Requests sent after the pairs ran out repeat the last pair: not counted (the note says the run ran dry).
function response(status, headers, body)
  if exhausted == 0 then
    counts[status] = (counts[status] or 0) + 1
  end
end

function request()
  local pair = pairs_list[next_pair]
  if pair == nil then
    exhausted = 1
    wrk.thread:stop()
    pair = pairs_list[#pairs_list]
  end
  next_pair = next_pair + 1
  local person, day = pair:match("([^,]+),([^,]+)")
  return wrk.format(nil, nil, nil, prefix .. "&person_id=" .. person .. "&start_on=" .. day)
end
