-- wrk script for benches/load.sh: each request a random line of $PATHS (a
-- request target per line: searches and physician details).
local paths = {}
for line in io.lines(os.getenv("PATHS")) do
  paths[#paths + 1] = line
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
  return wrk.format("GET", paths[math.random(#paths)])
end
