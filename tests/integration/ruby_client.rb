# ruby_client.rb — a Ruby program using curb (libcurl-gnutls; curb drives
# every transfer through the multi interface, never curl_easy_perform).
#   ruby ruby_client.rb easy|multi URL CASE=REQUEST_FILE...
require "curb"
mode, url, *pairs = ARGV
easies = pairs.map do |p|
  kase, file = p.split("=", 2)
  c = Curl::Easy.new(url)
  c.headers["Content-Type"] = "application/json"
  c.headers["Authorization"] = "Bearer sk-test-abc123"
  c.headers["X-Case"] = kase
  c.post_body = File.binread(file)
  c
end
if mode == "multi"
  m = Curl::Multi.new
  easies.each { |c| m.add(c) }
  m.perform
else
  easies.each { |c| c.http_post(c.post_body) }
end
easies.each { |c| puts "#{c.response_code} #{c.body_str.bytesize} #{c.body_str.bytes.sum}" }
