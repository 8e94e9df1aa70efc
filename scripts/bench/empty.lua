-- The ceiling: the same POST size to an axum handler that does nothing.
local body = string.rep("x", 300)
request = function()
  return wrk.format("POST", "/wechat/bench/oa", nil, body)
end
