-- Safe-mode WeChat messages, pre-encrypted by `bench-tools gen-aes` (one per line:
-- path-with-query TAB body); each request takes the next line.
local requests = {}
for line in io.lines(os.getenv("KEFU_BENCH_FILE")) do
  local path, body = line:match("^([^\t]+)\t(.*)$")
  requests[#requests + 1] = wrk.format("POST", path, nil, body)
end
local i = 0
request = function()
  i = i + 1
  if i > #requests then i = 1 end
  return requests[i]
end
