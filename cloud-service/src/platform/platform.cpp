#include "platform.hpp"

#include "../core/fields.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"

namespace spotter::cloud {

std::vector<Migration> platform_migrations() {
  return {
      {"platform/1", R"sql(
CREATE TABLE job_leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL);
CREATE TABLE job_runs (name TEXT PRIMARY KEY, last_run_at BIGINT NOT NULL, last_ok BOOLEAN NOT NULL,
  last_detail TEXT, runs BIGINT NOT NULL);
CREATE TABLE signing_keys (kid TEXT PRIMARY KEY, purpose TEXT NOT NULL, material TEXT NOT NULL,
  created_at BIGINT NOT NULL, retired_at BIGINT);
CREATE TABLE audit_log (id {{AUTO_ID}}, at BIGINT NOT NULL, actor_id TEXT, actor_role TEXT,
  action TEXT NOT NULL, target TEXT, ip TEXT, detail TEXT);
CREATE TABLE notifications (id {{AUTO_ID}}, user_id TEXT, kind TEXT NOT NULL,
  payload TEXT NOT NULL, created_at BIGINT NOT NULL, sent_at BIGINT);
)sql"},
      // Numbers handed out in commit order (next_in_commit_order): readers that follow a
      // log by "everything after the last number I saw" never skip a row that committed late.
      {"platform/2", R"sql(
CREATE TABLE commit_sequences (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
)sql"},
      // Failed logins and gateway secrets, where every instance counts them (AttemptLimiter).
      {"platform/3", R"sql(
CREATE TABLE failed_attempts (attempt_key TEXT NOT NULL, at BIGINT NOT NULL);
CREATE INDEX failed_attempts_key ON failed_attempts(attempt_key, at);
CREATE INDEX failed_attempts_at ON failed_attempts(at);
)sql"},
      // Idempotency-Key (idempotency.hpp): the first answer per caller and key, for a day.
      {"platform/4", R"sql(
CREATE TABLE idempotency_keys (owner TEXT NOT NULL, idem_key TEXT NOT NULL, scope TEXT NOT NULL, fingerprint TEXT NOT NULL,
  status BIGINT, body TEXT, created_at BIGINT NOT NULL, PRIMARY KEY (owner, idem_key));
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
)sql"},
  };
}

void Audit::record(const RequestContext& ctx, std::string_view action, std::string_view target, const Json& detail) {
  SqlValue actor = ctx.caller ? SqlValue(ctx.caller->id) : SqlValue(nullptr);
  SqlValue role = ctx.caller ? SqlValue(std::string(to_string(ctx.caller->role))) : SqlValue(nullptr);
  auto r = db_.execute("INSERT INTO audit_log (at, actor_id, actor_role, action, target, ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       {clock_.now_ms(), actor, role, std::string(action), std::string(target), ctx.req.remote_ip, dump_json(detail)});
  if (!r) log_.error("audit write failed", {{"action", std::string(action)}, {"error", r.error().message}});
}

Result<Json> Audit::list(std::optional<std::int64_t> before_id, std::string_view action, std::int64_t limit) {
  std::string sql = "SELECT id, at, actor_id, actor_role, action, target, ip, detail FROM audit_log WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (before_id) sql += " AND id < ?", params.emplace_back(*before_id);
  if (!action.empty()) sql += " AND action = ?", params.emplace_back(std::string(action));
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(limit);
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  Json items = Json::array();
  for (const auto& r : *rows)
    items.push_back({{"id", std::to_string(r.integer(0))}, {"at", rfc3339(r.integer(1))}, {"actor_id", r.is_null(2) ? Json(nullptr) : Json(r.text(2))},
                     {"actor_role", r.is_null(3) ? Json(nullptr) : Json(r.text(3))}, {"action", r.text(4)}, {"target", r.text(5)},
                     {"ip", r.text(6)}, {"detail", parse_json_strict(r.text(7)).value_or(Json::object())}});
  return items;
}

Status Audit::forget(std::string_view email) {
  SPOTTER_SQL(db_.execute("UPDATE audit_log SET target = '(erased)', detail = '{}' WHERE target = ?", {std::string(email)}));
  return {};
}

Status Outbox::forget(const std::string& user_id) {
  SPOTTER_SQL(db_.execute("DELETE FROM notifications WHERE user_id = ?", {user_id}));
  return {};
}

namespace {
std::string token_aad(const std::optional<std::string>& user_id, std::string_view kind) {
  return "spotter notification token\n" + std::string(kind) + "\n" + user_id.value_or("");
}
}  // namespace

void Outbox::notify(const std::optional<std::string>& user_id, std::string_view kind, const Json& payload) {
  Json stored = payload;
  if (!secrets_key_.empty() && stored.contains("token") && stored["token"].is_string()) {
    auto sealed = crypto::seal(secrets_key_, crypto::as_bytes(stored["token"].get_ref<const std::string&>()), crypto::as_bytes(token_aad(user_id, kind)));
    if (!sealed) {
      log_.error("notification not written: the token could not be sealed", {{"kind", std::string(kind)}});
      return;
    }
    stored.erase("token");
    stored["token_sealed"] = base64url_encode(*sealed);
  }
  auto r = db_.execute("INSERT INTO notifications (user_id, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                       {sql_opt(user_id), std::string(kind), dump_json(stored), clock_.now_ms()});
  if (!r) log_.error("notification write failed", {{"kind", std::string(kind)}, {"error", r.error().message}});
}

Result<Json> Outbox::list(std::optional<std::int64_t> before_id, std::string_view kind, std::int64_t limit) {
  std::string sql = "SELECT id, user_id, kind, payload, created_at, sent_at FROM notifications WHERE 1 = 1";
  std::vector<SqlValue> params;
  if (before_id) sql += " AND id < ?", params.emplace_back(*before_id);
  if (!kind.empty()) sql += " AND kind = ?", params.emplace_back(std::string(kind));
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(limit);
  auto rows = db_.query(sql, params);
  if (!rows) return Unexpected<Error>{rows.error()};
  Json items = Json::array();
  for (const auto& r : *rows) {
    Json payload = parse_json_strict(r.text(3)).value_or(Json::object());
    for (const char* secret : {"token", "token_sealed"})  // reset tokens are for the mail only
      if (payload.contains(secret)) payload[secret] = "[redacted]";
    items.push_back({{"id", std::to_string(r.integer(0))}, {"user_id", r.is_null(1) ? Json(nullptr) : Json(r.text(1))}, {"kind", r.text(2)},
                     {"payload", payload}, {"created_at", rfc3339(r.integer(4))}, {"sent_at", rfc3339_or_null(r.optional_integer(5))}});
  }
  return items;
}

Result<std::int64_t> next_in_commit_order(SqlDatabase& db, std::string_view name) {
  // The UPDATE holds the sequence's row lock until the transaction ends, so numbers are
  // handed out in the order the transactions commit.
  if (!db.in_transaction()) return fail(std::string(sql_error::sql), "next_in_commit_order needs a transaction");
  // An upsert: a sequence's first use, racing another, waits for it and then counts on.
  auto rows = db.query("INSERT INTO commit_sequences (name, value) VALUES (?, 1) "
                       "ON CONFLICT (name) DO UPDATE SET value = commit_sequences.value + 1 RETURNING value",
                       {std::string(name)});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return fail(std::string(sql_error::sql), "no sequence value returned");
  return rows->front().integer(0);
}

}  // namespace spotter::cloud
