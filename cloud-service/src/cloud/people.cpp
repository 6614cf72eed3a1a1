#include "people.hpp"

namespace spotter::cloud {

std::string placeholders(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += i ? ", ?" : "?";
  return s;
}

Try<UserAccess> user_access(App& app, const Caller& caller, const std::string& user_id) {
  auto exists = app.db.query("SELECT home_branch_id FROM users WHERE id = ?", {user_id});
  if (!exists) return Unexpected<HttpResponse>{storage_failure(app, exists.error(), "user")};
  if (exists->empty()) return caller.is_staff() ? UserAccess::not_found : UserAccess::forbidden;
  if (caller.role == Role::admin) return UserAccess::ok;
  if (caller.role != Role::trainer) return caller.id == user_id ? UserAccess::ok : UserAccess::forbidden;
  if (auto home = exists->front().optional_text(0); home && caller.branch_ids.count(*home)) return UserAccess::ok;
  if (caller.branch_ids.empty()) return UserAccess::forbidden;
  std::vector<SqlValue> params{user_id};
  for (const auto& b : caller.branch_ids) params.emplace_back(b);
  auto rows = app.db.query("SELECT 1 FROM subscriptions s LEFT JOIN plan_branches pb ON pb.plan_id = s.plan_id "
                           "WHERE s.user_id = ? AND (pb.branch_id IS NULL OR pb.branch_id IN (" + placeholders(caller.branch_ids.size()) + ")) LIMIT 1",
                           params);
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "user access")};
  return rows->empty() ? UserAccess::forbidden : UserAccess::ok;
}

HttpResponse user_access_problem(UserAccess access) {
  return access == UserAccess::not_found ? not_found("user") : forbidden("this user is not yours to see or change");
}

}  // namespace spotter::cloud
