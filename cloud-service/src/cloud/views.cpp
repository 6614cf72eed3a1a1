#include "views.hpp"

#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"

namespace spotter::cloud {

Json user_json(const SqlRow& r) {
  return {{"id", r.text(0)},
          {"email", r.text(1)},
          {"full_name", r.text(2)},
          {"role", r.text(3)},
          {"home_branch_id", r.is_null(4) ? Json(nullptr) : Json(r.text(4))},
          {"phone", r.is_null(5) ? Json(nullptr) : Json(r.text(5))},
          {"document_id", r.is_null(6) ? Json(nullptr) : Json(r.text(6))},
          {"created_at", rfc3339(r.integer(7))}};
}

Try<std::optional<Json>> load_user(App& app, const std::string& id) {
  auto rows = app.db.query(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?", {id});
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "user")};
  if (rows->empty()) return std::optional<Json>{};
  Json user = user_json(rows->front());
  auto branches = app.db.query("SELECT branch_id FROM user_branches WHERE user_id = ? ORDER BY branch_id", {id});
  if (!branches) return Unexpected<HttpResponse>{storage_failure(app, branches.error(), "user branches")};
  Json list = Json::array();
  for (const auto& b : *branches) list.push_back(b.text(0));
  user["branch_ids"] = list;
  return std::optional<Json>{std::move(user)};
}

Json session_json(const SqlRow& r, std::int64_t now_ms) {
  const std::int64_t started = r.integer(3);
  const auto ended = r.optional_integer(4);
  return {{"id", r.text(0)},
          {"user_id", r.text(1)},
          {"branch_id", r.text(2)},
          {"started_at", rfc3339(started)},
          {"ended_at", rfc3339_or_null(ended)},
          {"status", r.text(5)},
          {"ended_by", r.is_null(6) ? Json(nullptr) : Json(r.text(6))},
          {"source", r.text(7)},
          {"duration_s", ((ended ? *ended : now_ms) - started) / 1000}};
}

Json machine_json(const SqlRow& r) {
  return {{"machine_id", r.text(0)},
          {"branch_id", r.text(1)},
          {"name", r.text(2)},
          {"category", r.text(3)},
          {"type", r.text(4)},
          {"state", r.text(5)},
          {"last_seen_at", rfc3339_or_null(r.optional_integer(6))},
          {"maintenance_code", r.is_null(7) ? Json(nullptr) : Json(r.text(7))}};
}

Json subscription_json(const SqlRow& r, std::int64_t now_ms) {
  std::string status = r.text(5);
  // Expiry is a fact of time: shown at once even before the job marks the row.
  if (status == "active" && r.integer(4) <= now_ms) status = "expired";
  return {{"id", r.text(0)},
          {"user_id", r.text(1)},
          {"plan_id", r.text(2)},
          {"starts_at", rfc3339(r.integer(3))},
          {"expires_at", rfc3339(r.integer(4))},
          {"status", status},
          {"created_at", rfc3339(r.integer(6))}};
}

Try<std::map<std::string, Json>> plan_branch_ids(App& app, const std::vector<std::string>& plan_ids) {
  std::map<std::string, Json> out;
  if (plan_ids.empty()) return out;
  std::string marks;
  std::vector<SqlValue> params;
  for (const auto& id : plan_ids) {
    marks += marks.empty() ? "?" : ", ?";
    params.emplace_back(id);
  }
  auto rows = app.db.query("SELECT plan_id, branch_id FROM plan_branches WHERE plan_id IN (" + marks + ") ORDER BY plan_id, branch_id", params);
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "plan branches")};
  for (const auto& r : *rows) {
    auto& list = out[r.text(0)];
    if (list.is_null()) list = Json::array();
    list.push_back(r.text(1));
  }
  return out;
}

std::string sha256_hex(std::string_view text) {
  auto d = crypto::sha256(crypto::as_bytes(text));
  return hex_encode(crypto::ByteView(d.data(), d.size()));
}

}  // namespace spotter::cloud
