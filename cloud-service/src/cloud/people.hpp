#pragma once
#include "app.hpp"

namespace spotter::cloud {

enum class UserAccess { ok, not_found, forbidden };
// Members: themselves. Trainers: users whose home branch is theirs or whose subscription
// opens one of their branches. Admins: everyone.
Try<UserAccess> user_access(App& app, const Caller& caller, const std::string& user_id);
HttpResponse user_access_problem(UserAccess access);
// Placeholders "?, ?, ?" for an IN list.
std::string placeholders(std::size_t n);

}  // namespace spotter::cloud
