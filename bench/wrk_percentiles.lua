-- wrk reports p50/75/90/99 only; the availability target is about the tail, so print more.
-- Only 2xx/3xx answers are successes: non-2xx answers and socket errors (connect, read,
-- write, timeout) are printed beside the rate, which counts successes only. wrk's latency
-- percentiles include every answered request (wrk does not split them by status): with
-- errors present, read the percentiles with that in mind.
done = function(summary, latency, requests)
  local parts = {}
  for _, p in ipairs({50, 90, 99, 99.9}) do
    parts[#parts + 1] = string.format("p%s %.1f ms", p, latency:percentile(p) / 1000)
  end
  local e = summary.errors
  local failed = e.status + e.connect + e.read + e.write + e.timeout
  local ok = summary.requests - e.status
  io.write(string.format(
    "%.0f ok req/s; %s; max %.1f ms; %d requests, %d ok, %d non-2xx, %d connect/%d read/%d write errors, %d timeouts%s\n",
    ok / (summary.duration / 1e6), table.concat(parts, ", "), latency.max / 1000,
    summary.requests, ok, e.status, e.connect, e.read, e.write, e.timeout,
    failed > 0 and " -- ERRORS: not a clean run" or ""))
end
