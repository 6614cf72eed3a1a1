#include "idempotency.hpp"

#include "../core/http.hpp"
#include "responses.hpp"
#include "spotter/common/crypto.hpp"

namespace spotter::cloud {

namespace {
constexpr std::int64_t kKeepMs = 24 * 3'600'000;

// 1-255 visible ASCII characters (a UUID, a ULID, anything a client generates).
bool valid_key(std::string_view k) {
  if (k.empty() || k.size() > 255) return false;
  for (char c : k)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

std::string fingerprint(const HttpRequest& req) {
  const std::string text = req.method + " " + req.path + "\n" + req.body;
  return crypto::sha256_hex(text);
}
}  // namespace

HttpResponse idempotent(Platform& platform, RequestContext& ctx, std::string_view scope, const std::function<HttpResponse()>& work) {
  const std::string& key = ctx.req.idempotency_key;
  std::optional<HttpResponse> answer;
  // The rollback of a failed `work` is asked for with this error; its answer stays in `answer`.
  static constexpr std::string_view kRefused = "refused";
  if (key.empty()) {
    auto tx = platform.db.transaction([&]() -> Status {
      answer = work();
      if (answer->status / 100 != 2) return fail(std::string(kRefused), "rolled back");
      return {};
    });
    if (!tx && tx.error().code != kRefused) return storage_failure(platform.log, tx.error(), "request");
    return *answer;
  }
  if (!valid_key(key)) return validation_problem({{"Idempotency-Key", "must be 1-255 visible ASCII characters"}});
  const std::string owner = ctx.caller ? ctx.caller->id : std::string();
  const std::string print = fingerprint(ctx.req);
  const std::int64_t now = platform.now_ms();
  auto tx = platform.db.transaction([&]() -> Status {
    answer.reset();
    auto claimed = platform.db.execute("INSERT INTO idempotency_keys (owner, idem_key, scope, fingerprint, created_at) VALUES (?, ?, ?, ?, ?) "
                                       "ON CONFLICT (owner, idem_key) DO NOTHING",
                                       {owner, key, std::string(scope), print, now});
    if (!claimed) return Unexpected<Error>{claimed.error()};
    if (*claimed == 0) {
      auto rows = platform.db.query("SELECT scope, fingerprint, status, body FROM idempotency_keys WHERE owner = ? AND idem_key = ?", {owner, key});
      if (!rows) return Unexpected<Error>{rows.error()};
      if (rows->empty()) return fail(std::string(sql_error::retry), "idempotency key vanished");  // pruned meanwhile: run again
      const auto& r = rows->front();
      if (r.text(0) != scope || r.text(1) != print || r.is_null(2)) {
        answer = problem(409, "idempotency-key-reused", "this Idempotency-Key was used for a different request");
        return {};
      }
      HttpResponse replay;
      replay.status = static_cast<int>(r.integer(2));
      replay.body = r.text(3);
      replay.headers.emplace_back("Idempotency-Replayed", "true");
      answer = std::move(replay);
      return {};
    }
    answer = work();
    if (answer->status / 100 != 2) return fail(std::string(kRefused), "rolled back");
    auto stored = platform.db.execute("UPDATE idempotency_keys SET status = ?, body = ? WHERE owner = ? AND idem_key = ?",
                                      {static_cast<std::int64_t>(answer->status), answer->body, owner, key});
    if (!stored) return Unexpected<Error>{stored.error()};
    return {};
  });
  if (!tx && tx.error().code != kRefused) return storage_failure(platform.log, tx.error(), "request");
  return *answer;
}

Result<std::int64_t> prune_idempotency_keys(SqlDatabase& db, std::int64_t now_ms) {
  return db.execute("DELETE FROM idempotency_keys WHERE created_at < ?", {now_ms - kKeepMs});
}

Status forget_idempotency_keys(SqlDatabase& db, const std::string& owner) {
  SPOTTER_SQL(db.execute("DELETE FROM idempotency_keys WHERE owner = ?", {owner}));
  return {};
}

}  // namespace spotter::cloud
