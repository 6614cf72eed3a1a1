// Staff and member accounts, look-up by email, document id and phone; credentials (NFC
// cards) and the member's rotating access QR.
#include <cctype>

#include "../core/rules.hpp"
#include "people.hpp"
#include "spotter/common/access_qr.hpp"
#include "spotter/common/ids.hpp"
#include "sync_apply.hpp"
#include "views.hpp"

namespace spotter::cloud {
namespace {

bool valid_phone(const std::string& p) {
  if (p.size() < 6 || p.size() > 20) return false;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(p[i])) && !(i == 0 && p[i] == '+')) return false;
  return true;
}

HttpResponse create_user(App& app, RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string email = f.email("email");
  std::string full_name = f.text("full_name");
  std::string role = f.choice("role", {"admin", "trainer", "member"});
  auto password = f.optional_text("password", 256);
  auto home = f.optional_id("home_branch_id");
  auto branch_ids = f.id_list("branch_ids", 50);
  auto phone = f.optional_text("phone", 20);
  auto document = f.optional_text("document_id", 64);
  if (phone && !valid_phone(*phone)) f.add_error("phone", "must be 6-20 digits, optionally starting with +");
  if (password && !email.empty())
    if (auto weak = password_weakness(*password, email)) f.add_error("password", *weak);
  if (!branch_ids.empty() && role != "trainer") f.add_error("branch_ids", "only trainers work at branches");
  if (!f.ok()) return f.problem();
  // Trainers register members of their own branches, nothing else.
  if (who.role == Role::trainer && (role != "member" || !home || !who.manages_branch(*home)))
    return forbidden("trainers create members whose home branch is one of theirs");
  std::vector<std::string> referenced = branch_ids;
  if (home) referenced.push_back(*home);
  if (!referenced.empty()) {
    std::vector<SqlValue> params(referenced.begin(), referenced.end());
    auto rows = app.db.query("SELECT COUNT(DISTINCT id) FROM branches WHERE id IN (" + placeholders(referenced.size()) + ")", params);
    if (!rows) return storage_failure(app, rows.error(), "branches");
    if (rows->front().integer(0) != static_cast<std::int64_t>(std::set<std::string>(referenced.begin(), referenced.end()).size()))
      return validation_problem({{home ? "home_branch_id" : "branch_ids", "names a branch that does not exist"}});
  }
  const std::int64_t now = app.now_ms();
  const std::string id = new_id("usr", now);
  auto tx = app.db.transaction([&]() -> Status {
    auto r = app.db.execute("INSERT INTO users (id, email, password_hash, full_name, role, home_branch_id, phone, document_id, created_at, updated_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            {id, email, password ? SqlValue(app.hasher.hash(*password)) : SqlValue(nullptr), full_name, role, sql_opt(home),
                             sql_opt(phone), sql_opt(document), now, now});
    if (!r) return Unexpected<Error>{r.error()};
    for (const auto& b : std::set<std::string>(branch_ids.begin(), branch_ids.end())) {
      auto ub = app.db.execute("INSERT INTO user_branches (user_id, branch_id) VALUES (?, ?)", {id, b});
      if (!ub) return Unexpected<Error>{ub.error()};
    }
    return {};
  });
  if (!tx) {
    if (tx.error().code == "conflict") return problem(409, "email-taken", "an account with this email exists");
    return storage_failure(app, tx.error(), "user");
  }
  audit(app, ctx, "user.create", id, {{"role", role}});
  if (role == "member") replica_changed(app, "user", id);
  SPOTTER_TRY(user, load_user(app, id));
  return json_response(201, *user);
}

HttpResponse search_users(App& app, RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return forbidden();
  SPOTTER_TRY(page, read_page(ctx.req));
  std::string sql = std::string("SELECT ") + kUserColumns + " FROM users WHERE id > ?";
  std::vector<SqlValue> params{page.after.value_or("")};
  std::string email(ctx.req.query_param("email"));
  for (auto& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!email.empty()) sql += " AND email = ?", params.emplace_back(email);
  if (auto v = ctx.req.query_param("phone"); !v.empty()) sql += " AND phone = ?", params.emplace_back(std::string(v));
  if (auto v = ctx.req.query_param("document_id"); !v.empty()) sql += " AND document_id = ?", params.emplace_back(std::string(v));
  if (auto v = ctx.req.query_param("role"); !v.empty()) sql += " AND role = ?", params.emplace_back(std::string(v));
  if (who.role == Role::trainer) {
    // Trainers find the people of their branches: home branch, or a subscription there.
    if (who.branch_ids.empty()) return json_response(200, {{"items", Json::array()}, {"next_cursor", nullptr}});
    std::string in = placeholders(who.branch_ids.size());
    sql += " AND (home_branch_id IN (" + in + ") OR id IN (SELECT s.user_id FROM subscriptions s LEFT JOIN plan_branches pb ON pb.plan_id = s.plan_id "
           "WHERE pb.branch_id IS NULL OR pb.branch_id IN (" + in + ")))";
    for (int twice = 0; twice < 2; ++twice)
      for (const auto& b : who.branch_ids) params.emplace_back(b);
  }
  sql += " ORDER BY id LIMIT ?";
  params.emplace_back(page.limit + 1);
  auto rows = app.db.query(sql, params);
  if (!rows) return storage_failure(app, rows.error(), "users");
  Json items = Json::array();
  for (const auto& r : *rows) items.push_back(user_json(r));
  return json_response(200, page_json(std::move(items), page, [](const Json& u) { return u["id"].get<std::string>(); }));
}

HttpResponse get_user(App& app, RequestContext& ctx) {
  SPOTTER_TRY(access, user_access(app, ctx.who(), ctx.param("id")));
  if (access != UserAccess::ok) return user_access_problem(access);
  SPOTTER_TRY(user, load_user(app, ctx.param("id")));
  if (!user) return not_found("user");
  return json_response(200, *user);
}

std::optional<std::string> normalized_uid(const std::string& uid) {
  // ISO 14443A UIDs are 4, 7 or 10 bytes.
  if (uid.size() != 8 && uid.size() != 14 && uid.size() != 20) return std::nullopt;
  std::string out;
  for (char c : uid) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

HttpResponse add_credential(App& app, RequestContext& ctx) {
  if (!ctx.who().is_staff()) return forbidden();
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string kind = f.choice("kind", {"nfc"});
  std::string uid_text = f.text("uid", 32);
  auto uid = normalized_uid(uid_text);
  if (!uid_text.empty() && !uid) f.add_error("uid", "must be a 4, 7 or 10 byte UID in hex");
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(access, user_access(app, ctx.who(), ctx.param("id")));
  if (access != UserAccess::ok) return user_access_problem(access);
  const std::int64_t now = app.now_ms();
  const std::string id = new_id("cred", now);
  auto r = app.db.execute("INSERT INTO credentials (id, user_id, kind, uid, created_at) VALUES (?, ?, ?, ?, ?)", {id, ctx.param("id"), kind, *uid, now});
  if (!r) {
    if (r.error().code == "conflict") return problem(409, "uid-taken", "this card belongs to another credential");
    return storage_failure(app, r.error(), "credential");
  }
  audit(app, ctx, "credential.add", id, {{"user_id", ctx.param("id")}});
  replica_changed(app, "user", ctx.param("id"));
  return json_response(201, {{"id", id}, {"user_id", ctx.param("id")}, {"kind", kind}, {"uid", *uid}, {"created_at", rfc3339(now)}, {"revoked_at", nullptr}});
}

HttpResponse delete_credential(App& app, RequestContext& ctx) {
  if (!ctx.who().is_staff()) return forbidden();
  SPOTTER_TRY(access, user_access(app, ctx.who(), ctx.param("id")));
  if (access != UserAccess::ok) return user_access_problem(access);
  auto r = app.db.execute("UPDATE credentials SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                          {app.now_ms(), ctx.param("credential_id"), ctx.param("id")});
  if (!r) return storage_failure(app, r.error(), "credential");
  if (*r == 0) return not_found("credential");
  audit(app, ctx, "credential.revoke", ctx.param("credential_id"), {{"user_id", ctx.param("id")}});
  replica_changed(app, "user", ctx.param("id"));
  return no_content();
}

HttpResponse list_credentials(App& app, RequestContext& ctx) {
  SPOTTER_TRY(access, user_access(app, ctx.who(), ctx.param("id")));
  if (access != UserAccess::ok) return user_access_problem(access);
  auto rows = app.db.query("SELECT id, kind, uid, created_at, revoked_at FROM credentials WHERE user_id = ? ORDER BY id", {ctx.param("id")});
  if (!rows) return storage_failure(app, rows.error(), "credentials");
  Json items = Json::array();
  for (const auto& r : *rows)
    items.push_back({{"id", r.text(0)}, {"user_id", ctx.param("id")}, {"kind", r.text(1)}, {"uid", r.text(2)},
                     {"created_at", rfc3339(r.integer(3))}, {"revoked_at", rfc3339_or_null(r.optional_integer(4))}});
  return json_response(200, {{"items", items}, {"next_cursor", nullptr}});
}

HttpResponse access_qr_for_me(App& app, RequestContext& ctx) {
  if (ctx.who().role != Role::member) return forbidden("access QR codes are for members");
  auto payload = access_qr::mint(ctx.who().id, app.keys.qr, app.clock);
  if (!payload) return storage_failure(app, Error{"sql", payload.error().message}, "QR signing");
  return json_response(200, {{"payload", *payload}, {"expires_at", rfc3339(app.now_ms() + std::chrono::milliseconds(access_qr::kMaxLifetime).count())},
                             {"refresh_after_s", std::chrono::seconds(access_qr::kMaxLifetime).count() / 2}});
}

}  // namespace

std::vector<Route> user_routes() {
  return {
      {"POST", "/api/users", Access::user, create_user, "Create a staff or member account", "admin; trainer (members of own branches)"},
      {"GET", "/api/users", Access::user, search_users, "Find users by email, document_id, phone or role", "admin, trainer (own branches)"},
      {"GET", "/api/users/{id}", Access::user, get_user, "One user", "the user, admin, trainer (own branches)"},
      {"POST", "/api/users/{id}/credentials", Access::user, add_credential, "Give a user an NFC card (a UID belongs to one user)", "admin, trainer (own branches)"},
      {"GET", "/api/users/{id}/credentials", Access::user, list_credentials, "A user's credentials", "the user, admin, trainer (own branches)"},
      {"DELETE", "/api/users/{id}/credentials/{credential_id}", Access::user, delete_credential, "Revoke a credential: the card stops opening doors", "admin, trainer (own branches)"},
      {"GET", "/api/users/me/access-qr", Access::user, access_qr_for_me, "A rotating, signed access QR payload (valid 60 s)", "member"},
  };
}

}  // namespace spotter::cloud
