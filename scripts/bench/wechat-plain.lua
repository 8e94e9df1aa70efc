-- Plaintext-mode WeChat text messages, each with a new MsgId (so none is a duplicate).
-- The query (signature over token, timestamp, nonce) is the same for every request.
local path = os.getenv("KEFU_BENCH_PATH")
local ts = os.getenv("KEFU_BENCH_TS")
local base = tonumber(os.getenv("KEFU_BENCH_BASE"))
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[o_%d]]></FromUserName>" ..
    "<CreateTime>%s</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 %d]]></Content>" ..
    "<MsgId>%d</MsgId></xml>", counter % 1000, ts, counter, base + counter)
  return wrk.format("POST", path, nil, body)
end
