-- wrk script for the HTTP benchmarks. Each request is, with $PATHS (a file
-- of request targets, one a line: benches/load.sh, benches/ab.sh), a random
-- line of it; otherwise (benches/http.sh) a search from a random point of
-- $POINTS (one "lat,lng" a line) with a random filter of the mix named by
-- $MIX (none, rare, mix), and `view=$VIEW` when $VIEW is set to other than
-- the default, full (so that a build from before `view` is measured alike).
local target

if os.getenv("PATHS") then
  local paths = {}
  for line in io.lines(os.getenv("PATHS")) do
    paths[#paths + 1] = line
  end
  target = function()
    return paths[math.random(#paths)]
  end
else
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
  local view = os.getenv("VIEW") or "full"
  view = view == "full" and "" or ("&view=" .. view)
  target = function()
    return "/v1/physicians?" .. points[math.random(#points)] .. filters[math.random(#filters)] .. view
  end
end

local thread_id = 0
function setup(thread)
  thread_id = thread_id + 1
  thread:set("seed", thread_id)
end

function init(args)
  math.randomseed(seed or 1)
end

function request()
  return wrk.format("GET", target())
end
