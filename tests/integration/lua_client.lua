-- lua_client.lua — a Lua program using lua-curl (libcurl-gnutls, CURL_GNUTLS_3).
--   lua5.2 lua_client.lua URL CASE=REQUEST_FILE...   one POST per case, body to stdout
local curl = require "curl"
local url = arg[1]
for i = 2, #arg do
  local case, file = arg[i]:match("^([^=]+)=(.*)$")
  local body = io.open(file):read("*a")
  local c = curl.easy_init()
  c:setopt(curl.OPT_URL, url)
  c:setopt(curl.OPT_POSTFIELDS, body)
  c:setopt(curl.OPT_HTTPHEADER, {"Content-Type: application/json", "Authorization: Bearer sk-test-abc123",
           "X-Case: " .. case})
  c:setopt(curl.OPT_WRITEFUNCTION, function(data, size) io.write(data) return size end)
  local ok, err = c:perform()
  io.write("\nperform: ", tostring(ok), " ", tostring(err), "\n")
end
