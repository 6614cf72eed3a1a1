#include "sync_service.hpp"

#include "../adapters/beast/cloud_client.hpp"
#include "spotter/common/sync_api.hpp"
#include "spotter/edge/sqlite_store.hpp"

namespace spotter::edge {
namespace {
using std::chrono::steady_clock;

Status http_failure(const CloudResponse& r, const char* what) {
  if (r.status == 401) return fail("unauthorized", std::string(what) + ": the cloud refused this gateway's credentials (revoked or rotated?)");
  return fail("http", std::string(what) + ": HTTP " + std::to_string(r.status));
}
}  // namespace

SyncService::SyncService(SyncSettings settings, const Clock& clock, Logger log, ApplyReplica apply, OnCommand command,
                         std::shared_ptr<LiveProgress> progress)
    : settings_(std::move(settings)), clock_(clock), log_(std::move(log)), apply_(std::move(apply)), command_(std::move(command)),
      progress_(std::move(progress)), client_(std::make_unique<CloudClient>(settings_.cloud_url, std::chrono::seconds(10), settings_.cloud_ca)) {
  status_ = {{"configured", true}, {"cloud", settings_.cloud_url}, {"gateway_id", settings_.gateway_id}, {"state", "starting"},
             {"uploaded", 0}, {"quarantined", 0}, {"commands", 0}, {"replica_version", nullptr}, {"last_ok_at", nullptr}, {"last_error", nullptr}};
}

SyncService::~SyncService() { stop(); }

void SyncService::start() {
  thread_ = std::thread([this] { run(); });
  if (progress_) live_thread_ = std::thread([this] { run_live(); });
}

void SyncService::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (progress_) progress_->interrupt();
  if (thread_.joinable()) thread_.join();
  if (live_thread_.joinable()) live_thread_.join();
}

void SyncService::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

Json SyncService::status() const {
  std::lock_guard lock(status_mu_);
  return status_;
}

void SyncService::set_state(const std::string& state, const std::string& error) {
  std::lock_guard lock(status_mu_);
  const bool changed = status_["state"] != state;
  status_["state"] = state;
  online_ = state == "online";
  if (!error.empty()) status_["last_error"] = error;
  if (state == "online") status_["last_ok_at"] = format_rfc3339_ms(clock_.now_ms());
  status_["failures"] = backoff_.failures();
  if (changed) log_.info("cloud link " + state, {{"cloud", settings_.cloud_url}, {"error", error}});
}

void SyncService::run() {
  try {
    store_ = std::make_unique<SqliteEdgeStore>(settings_.db_file);
    if (auto v = store_->sync_value("replica_version")) {
      std::lock_guard lock(status_mu_);
      status_["replica_version"] = *v;
    }
  } catch (const std::exception& e) {
    log_.error("sync cannot open the store", {{"error", e.what()}});
    return;
  }
  auto next_attempt = steady_clock::now(), next_count = steady_clock::now();
  bool backing_off = false;
  while (true) {
    {
      // Idle: sleep until the next poll, or until the store thread says the outbox grew
      // (wake); backing off: until the backoff ends, whatever happens.
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, next_attempt, [this, backing_off] { return stopping_ || (woken_ && !backing_off); });
      if (stopping_) break;
      woken_ = false;
    }
    if (backing_off && steady_clock::now() < next_attempt) continue;
    retry_after_.reset();
    auto r = step();
    backing_off = !r;
    if (r) {
      backoff_.reset();
      set_state("online", "");
      next_attempt = steady_clock::now() + (*r ? std::chrono::milliseconds(0) : settings_.idle_poll);
    } else {
      std::uniform_real_distribution<double> jitter(0.0, 1.0);
      const auto wait = backoff_.after_failure(jitter(rng_), retry_after_);
      set_state(r.error().code == "unauthorized" ? "unauthorized" : r.error().code == "certificate" ? "certificate_refused" : "offline",
                r.error().message);
      if (r.error().code == "unauthorized") {
        token_.clear();
        std::lock_guard lock(token_mu_);
        live_token_.clear();
      }
      next_attempt = steady_clock::now() + wait;
    }
    // Counting a large backlog is a table scan: every 2 s is enough for the CLI.
    if (steady_clock::now() >= next_count) {
      next_count = steady_clock::now() + std::chrono::seconds(2);
      std::lock_guard lock(status_mu_);
      status_["backlog"] = store_->outbox_depth();
      status_["quarantined_here"] = store_->quarantine_count();
    }
  }
  store_.reset();
}

Result<bool> SyncService::step() {
  if (auto t = ensure_token(); !t) return Unexpected<Error>{t.error()};
  const auto now = steady_clock::now();
  if (now >= next_commands_) {
    if (auto c = poll_commands(); !c) return Unexpected<Error>{c.error()};
    next_commands_ = now + settings_.commands_every;
  }
  if (now >= next_replica_) {
    if (auto r = poll_replica(); !r) return Unexpected<Error>{r.error()};
    next_replica_ = now + settings_.replica_every;
  }
  return upload();
}

void SyncService::run_live() {
  CloudClient client(settings_.cloud_url, std::chrono::seconds(2), settings_.cloud_ca);
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    auto due = progress_->take(clock_.now_ms());
    if (!due.empty()) send_progress(client, due);
    progress_->wait_for_offer(progress_->next_due_in(clock_.now_ms()).value_or(std::chrono::seconds(1)));
  }
}

void SyncService::send_progress(CloudClient& client, const std::vector<ProgressItem>& due) {
  std::string token;
  {
    std::lock_guard lock(token_mu_);
    token = live_token_;
  }
  bool sent = false;
  if (online_ && !token.empty()) {
    Json items = Json::array();
    for (const auto& p : due) {
      auto t = parse_json_strict(p.telemetry);
      if (!t || !t->is_object() || !t->contains("metrics")) continue;
      const Json& ts = (*t)["ts"];
      items.push_back({{"machine_id", p.machine_id}, {"link_id", p.link_id}, {"ts", ts.is_number_integer() ? ts.get<std::int64_t>() : p.received_ms},
                       {"metrics", (*t)["metrics"]}});
      if (items.size() == sync_api::kMaxProgressItems) break;
    }
    auto r = client.request("POST", std::string(sync_api::kProgress), dump_json(Json{{"items", std::move(items)}}), token);
    sent = r && r->status == 200;
  }
  const auto c = progress_->counts();
  std::lock_guard lock(status_mu_);
  if (!status_.contains("progress_sent")) status_["progress_sent"] = 0, status_["progress_failed"] = 0;
  const char* outcome = sent ? "progress_sent" : "progress_failed";  // failed: dropped, offline or refused
  status_[outcome] = status_[outcome].get<std::int64_t>() + static_cast<std::int64_t>(due.size());
  status_["progress"] = {{"offered", c.offered}, {"taken", c.taken}, {"stale", c.stale}};
}

Status SyncService::ensure_token() {
  if (!token_.empty() && steady_clock::now() < token_renew_at_) return {};
  Json body = {{"gateway_id", settings_.gateway_id}, {"secret", settings_.gateway_secret}};
  auto r = client_->request("POST", std::string(sync_api::kGatewayToken), dump_json(body), "");
  if (!r) return Unexpected<Error>{r.error()};
  if (r->status != 200) {
    retry_after_ = r->retry_after;
    return http_failure(*r, "gateway token");
  }
  auto doc = parse_json_strict(r->body);
  if (!doc || !doc->contains("access_token") || !(*doc)["access_token"].is_string()) return fail("http", "gateway token: unreadable answer");
  token_ = (*doc)["access_token"].get<std::string>();
  {
    std::lock_guard lock(token_mu_);
    live_token_ = token_;
  }
  const auto lifetime = std::chrono::seconds(doc->value("expires_in", 600));
  token_renew_at_ = steady_clock::now() + lifetime * 4 / 5;  // renewed well before it expires
  return {};
}

Result<bool> SyncService::upload() {
  // Each round sends the live lane first, so a member at a door is never behind a backlog of
  // machine status; after 20 full rounds the loop comes back round so commands and the
  // replica keep flowing during a long catch-up.
  for (int round = 0; round < 20; ++round) {
    bool full = false;
    for (bool live : {true, false}) {
      auto sent = send_batch(live);
      if (!sent) return Unexpected<Error>{sent.error()};
      if ((*sent > 0 && *sent >= batch_cap_[live ? 0 : 1]) || std::exchange(resend_now_, false)) full = true;
    }
    if (!full) return false;  // what was waiting has gone
  }
  return true;  // more to send: come straight back
}

Result<std::size_t> SyncService::too_large(std::size_t events, std::int64_t seq, const std::string& event_id, const std::string& kind, std::size_t& cap) {
  if (events > 1) {
    // The cloud takes smaller bodies than this batch: half as many events next time (at
    // once; the lane is not stuck behind a batch it can never send).
    cap = std::max<std::size_t>(1, events / 2);
    resend_now_ = true;
    log_.warn("the cloud refused a batch as too large: smaller batches", {{"events", events}, {"next", cap}});
    return std::size_t{0};
  }
  // One event larger than the cloud takes: kept aside here (spotter-edge outbox shows it),
  // so the events behind it go on.
  const std::string reason = "larger than the cloud accepts (413)";
  log_.error("an event is larger than the cloud accepts: kept aside", {{"event_id", event_id}, {"kind", kind}});
  if (auto s = store_->outbox_settle({}, {{seq, reason}}, clock_.now_ms()); !s) return Unexpected<Error>{s.error()};
  std::lock_guard lock(status_mu_);
  status_["quarantined_here"] = store_->quarantine_count();
  return std::size_t{1};
}

Result<std::size_t> SyncService::send_batch(bool live) {
  std::size_t& cap = batch_cap_[live ? 0 : 1];
  if (cap == 0 || cap > settings_.batch_events) cap = settings_.batch_events;
  // Stored bodies up to half the cloud's limit: the rest is room for each event's envelope.
  auto batch = store_->outbox_batch(cap, sync_api::kMaxBatchBytes / 2, live);
  if (batch.empty()) return std::size_t{0};
  Json events = Json::array();
  for (const auto& e : batch) {
    auto body = parse_json_strict(e.body);
    events.push_back({{"seq", e.seq}, {"event_id", e.event_id}, {"kind", e.kind}, {"at_ms", e.at_ms}, {"body", body ? *body : Json(e.body)}});
  }
  auto r = client_->request("POST", std::string(sync_api::kEvents), dump_json(Json{{"events", std::move(events)}}), token_);
  if (!r) return Unexpected<Error>{r.error()};
  if (r->status == 413) return too_large(batch.size(), batch[0].seq, batch[0].event_id, batch[0].kind, cap);
  if (r->status != 200) {
    retry_after_ = r->retry_after;
    return Unexpected<Error>{http_failure(*r, "upload").error()};
  }
  auto doc = parse_json_strict(r->body, JsonLimits{.max_bytes = 16 << 20, .max_depth = 8});
  if (!doc || !doc->contains("results") || !(*doc)["results"].is_array() || (*doc)["results"].size() != batch.size())
    return Unexpected<Error>{Error{"http", "upload: unreadable answer"}};
  std::vector<std::int64_t> done;
  std::vector<std::pair<std::int64_t, std::string>> quarantined;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& res = (*doc)["results"][i];
    // Only an answer about this very event settles it: anything else keeps the batch.
    const std::string status = json_text(res, "status");
    if (json_text(res, "event_id") != batch[i].event_id || (status != "applied" && status != "duplicate" && status != "quarantined"))
      return Unexpected<Error>{Error{"http", "upload: unreadable answer (result " + std::to_string(i) + ")"}};
    if (status == "quarantined") {
      quarantined.emplace_back(batch[i].seq, json_text(res, "reason", "refused by the cloud"));
      log_.warn("cloud quarantined an event", {{"event_id", batch[i].event_id}, {"kind", batch[i].kind}, {"reason", json_text(res, "reason")}});
    } else {
      done.push_back(batch[i].seq);
    }
  }
  if (auto s = store_->outbox_settle(done, quarantined, clock_.now_ms()); !s) return Unexpected<Error>{s.error()};
  cap = std::min(settings_.batch_events, cap * 2);
  std::lock_guard lock(status_mu_);
  status_["uploaded"] = status_["uploaded"].get<std::int64_t>() + static_cast<std::int64_t>(done.size());
  status_["quarantined"] = status_["quarantined"].get<std::int64_t>() + static_cast<std::int64_t>(quarantined.size());
  status_["last_upload_at"] = format_rfc3339_ms(clock_.now_ms());
  return batch.size();
}

Status SyncService::poll_replica() {
  const auto since = store_->sync_value("replica_version");
  auto r = client_->request("GET", std::string(sync_api::kReplica) + (since ? "?since=" + *since : ""), "", token_);
  if (!r) return Unexpected<Error>{r.error()};
  if (r->status != 200) {
    retry_after_ = r->retry_after;
    return http_failure(*r, "replica");
  }
  auto doc = parse_json_strict(r->body, JsonLimits{.max_bytes = 256u << 20, .max_depth = 16});
  if (!doc || !doc->contains("version") || !(*doc)["version"].is_number_integer()) return fail("http", "replica: unreadable answer");
  const std::string version = std::to_string((*doc)["version"].get<std::int64_t>());
  if (doc->value("changed", false)) {
    // Applied on the store thread in one transaction: a door decision sees the old replica or
    // the new one, never half of each.
    const bool delta = doc->contains("delta");
    if (!delta && !doc->contains("replica")) return fail("http", "replica: neither a replica nor a delta");
    Json update = delta ? Json{{"delta", std::move((*doc)["delta"])}} : Json{{"replica", std::move((*doc)["replica"])}};
    if (auto s = apply_(std::move(update)); !s) {
      // A delta that does not apply (say, the replica was replaced meanwhile): start over
      // from a whole snapshot.
      (void)store_->set_sync_value("replica_version", "0");
      return fail("replica", "replica not applied: " + s.error().message);
    }
    log_.info(delta ? "replica changes applied from the cloud" : "replica replaced from the cloud", {{"version", version}});
  }
  if (auto s = store_->set_sync_value("replica_version", version); !s) return s;
  std::lock_guard lock(status_mu_);
  status_["replica_version"] = version;
  return {};
}

Status SyncService::poll_commands() {
  const auto after = store_->sync_value("commands_after").value_or("0");
  auto r = client_->request("GET", std::string(sync_api::kCommands) + "?after=" + after, "", token_);
  if (!r) return Unexpected<Error>{r.error()};
  if (r->status != 200) {
    retry_after_ = r->retry_after;
    return http_failure(*r, "commands");
  }
  auto doc = parse_json_strict(r->body);
  if (!doc || !doc->contains("commands") || !(*doc)["commands"].is_array()) return fail("http", "commands: unreadable answer");
  for (const auto& c : (*doc)["commands"]) {
    if (!c.contains("machine_id") || !c["machine_id"].is_string() || !c.contains("kind") || !c["kind"].is_string()) continue;
    command_(c["machine_id"].get<std::string>(), c["kind"].get<std::string>());
    std::lock_guard lock(status_mu_);
    status_["commands"] = status_["commands"].get<std::int64_t>() + 1;
  }
  if (doc->contains("last_id") && (*doc)["last_id"].is_number_integer())
    return store_->set_sync_value("commands_after", std::to_string((*doc)["last_id"].get<std::int64_t>()));
  return {};
}

}  // namespace spotter::edge
