-- Signed JSON webhook messages, pre-signed by `bench-tools gen-webhook` (one per line:
-- path TAB timestamp TAB signature TAB body); each request takes the next line.
local requests = {}
for line in io.lines(os.getenv("KEFU_BENCH_FILE")) do
  local path, ts, sig, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)$")
  requests[#requests + 1] = wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-Kefu-Timestamp"] = ts,
    ["X-Kefu-Signature"] = sig,
  }, body)
end
local i = 0
request = function()
  i = i + 1
  if i > #requests then i = 1 end
  return requests[i]
end
