-- wrk reports p50/75/90/99 only; the availability target is about the tail, so print more.
done = function(summary, latency, requests)
  local parts = {}
  for _, p in ipairs({50, 90, 99, 99.9}) do
    parts[#parts + 1] = string.format("p%s %.1f ms", p, latency:percentile(p) / 1000)
  end
  io.write(string.format("%.0f req/s; %s; max %.1f ms; %d requests, %d timeouts\n",
    summary.requests / (summary.duration / 1e6), table.concat(parts, ", "), latency.max / 1000,
    summary.requests, summary.errors.timeout))
end
