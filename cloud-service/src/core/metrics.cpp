#include "metrics.hpp"

#include <fmt/format.h>

namespace spotter::cloud {

void Metrics::observe_request(std::string_view route, int status, double seconds) {
  std::lock_guard lock(mu_);
  auto it = routes_.find(route);
  if (it == routes_.end()) it = routes_.emplace(std::string(route), Route{}).first;
  auto& r = it->second;
  r.by_status[status]++;
  r.count++;
  r.sum += seconds;
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) r.buckets[i]++;
}

void Metrics::job_run(const std::string& job, bool ok) {
  std::lock_guard lock(mu_);
  jobs_[{job, ok}]++;
}

std::string Metrics::prometheus_text() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP spotter_http_requests_total HTTP requests by route pattern and status.\n";
  out += "# TYPE spotter_http_requests_total counter\n";
  for (const auto& [route, r] : routes_)
    for (const auto& [status, n] : r.by_status)
      out += fmt::format("spotter_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", route, status, n);
  out += "# HELP spotter_http_request_duration_seconds Time from a complete request to its answer.\n";
  out += "# TYPE spotter_http_request_duration_seconds histogram\n";
  for (const auto& [route, r] : routes_) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      out += fmt::format("spotter_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", route, kBuckets[i], r.buckets[i]);
    out += fmt::format("spotter_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", route, r.count);
    out += fmt::format("spotter_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", route, r.sum);
    out += fmt::format("spotter_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", route, r.count);
  }
  out += "# HELP spotter_ws_clients WebSocket clients connected now.\n# TYPE spotter_ws_clients gauge\n";
  out += fmt::format("spotter_ws_clients {}\n", ws_clients.load());
  out += "# HELP spotter_ws_messages_sent_total Messages written to WebSocket clients.\n# TYPE spotter_ws_messages_sent_total counter\n";
  out += fmt::format("spotter_ws_messages_sent_total {}\n", ws_messages_sent.load());
  out += "# HELP spotter_ws_connections WebSocket connections open now, authenticated or not (what the cap counts).\n# TYPE spotter_ws_connections gauge\n";
  out += fmt::format("spotter_ws_connections {}\n", ws_connections.load());
  out += "# HELP spotter_ws_refused_total WebSocket upgrades refused because the instance was at its connection cap.\n# TYPE spotter_ws_refused_total counter\n";
  out += fmt::format("spotter_ws_refused_total {}\n", ws_refused.load());
  out += "# HELP spotter_ws_messages_coalesced_total Updates replaced by a newer one before a slow client took them.\n# TYPE spotter_ws_messages_coalesced_total counter\n";
  out += fmt::format("spotter_ws_messages_coalesced_total {}\n", ws_messages_coalesced.load());
  out += "# HELP spotter_http_connections HTTP connections open now.\n# TYPE spotter_http_connections gauge\n";
  out += fmt::format("spotter_http_connections {}\n", http_connections.load());
  out += "# HELP spotter_http_rejected_total Requests refused before routing (too large, malformed).\n# TYPE spotter_http_rejected_total counter\n";
  out += fmt::format("spotter_http_rejected_total {}\n", rejected_bodies.load());
  out += "# HELP spotter_live_progress_total Live telemetry items from gateways by outcome.\n# TYPE spotter_live_progress_total counter\n";
  out += fmt::format("spotter_live_progress_total{{outcome=\"delivered\"}} {}\n", progress_delivered.load());
  out += fmt::format("spotter_live_progress_total{{outcome=\"dropped\"}} {}\n", progress_dropped.load());
  out += "# HELP spotter_job_runs_total Background job runs by outcome.\n# TYPE spotter_job_runs_total counter\n";
  for (const auto& [key, n] : jobs_)
    out += fmt::format("spotter_job_runs_total{{job=\"{}\",ok=\"{}\"}} {}\n", key.first, key.second ? "true" : "false", n);
  return out;
}

}  // namespace spotter::cloud
