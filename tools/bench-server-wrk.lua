-- wrk's side of tools/bench-server: the add_user commands `mledger bench http`
-- sends, from wrk's event loop instead of a thread per client. Request k of a
-- thread goes to account (k * threads + thread) mod ACCOUNTS, counted from
-- OFFSET, with that account's admin's token, under its own command id.
--
-- WRK_BENCH_CONFIG names a Lua file returning
--   { run = "ID", threads = T, accounts = A, offset = K, tokens = { ... } }
-- tokens[i] being the token of the admin of account K + i - 1.
local cfg = dofile(os.getenv("WRK_BENCH_CONFIG"))
local next_thread = 0

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  sent = 0
end

function request()
  local n = sent * cfg.threads + tid
  sent = sent + 1
  local a = n % cfg.accounts
  local account = string.format("bench-%06d", cfg.offset + a)
  local admin = string.format("u-admin-%06d", cfg.offset + a)
  local user = string.format("u-%s-%d", cfg.run, n)
  local body = string.format(
    '{"command_id":"bench-%s-%d","type":"add_user","account_id":"%s",' ..
    '"actor":{"kind":"user","account_id":"%s","user_id":"%s"},"now":"2026-02-01T09:00:00Z",' ..
    '"data":{"user_id":"%s","email":"%s@%s.example","display_name":"User %s"}}',
    cfg.run, n, account, account, admin, user, user, account, user)
  return wrk.format("POST", "/v1/commands",
                    {["Authorization"] = "Bearer " .. cfg.tokens[a + 1],
                     ["Content-Type"] = "application/json"}, body)
end

-- One JSON line for tools/bench-server: requests/s, latency percentiles in
-- milliseconds, and the answers that were not 2xx (each must be 0).
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"mode":"wrk","requests":%d,"seconds":%.3f,"requests_per_s":%.1f,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non_2xx":%d,' ..
    '"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
