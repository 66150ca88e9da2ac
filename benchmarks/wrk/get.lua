-- A GET of one URL with the signed-in persona's cookie (BENCH_COOKIE; none for public pages).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local cookie = os.getenv("BENCH_COOKIE") or ""
if cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end
