-- wrk script for benches/http.sh: searches from the points in $POINTS (one
-- "lat,lng" per line), each request a random point and a random filter of the
-- mix named by $MIX (none, rare, mix).
local points = {}
for line in io.lines(os.getenv("POINTS")) do
  local lat, lng = line:match("^([^,]+),([^,]+)$")
  points[#points + 1] = "lat=" .. lat .. "&lng=" .. lng
end

local mixes = {
  none = { "" },
  rare = { "&specialty=electrodiagnostic-medicine" },
  mix = {
    "",
    "",
    "&specialty=neurology",
    "&condition=lems&accepting_new_patients=true",
    "&specialty=electrodiagnostic-medicine",
    "&specialty=neuromuscular-medicine&radius=100",
    "&radius=25&telehealth=true",
    "&condition=lems&radius=1000&limit=50",
  },
}
local filters = assert(mixes[os.getenv("MIX") or "mix"], "MIX must be none, rare or mix")

local thread_id = 0
function setup(thread)
  thread_id = thread_id + 1
  thread:set("seed", thread_id)
end

function init(args)
  math.randomseed(seed or 1)
end

function request()
  local point = points[math.random(#points)]
  local filter = filters[math.random(#filters)]
  return wrk.format("GET", "/v1/physicians?" .. point .. filter)
end
