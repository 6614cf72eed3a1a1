// Pushes to this instance's WebSocket clients; the Beast adapter's hub implements it.
#pragma once
#include <string>

#include "spotter/common/json.hpp"

namespace spotter::cloud {

// Thread-safe; never blocks on a client. Each client keeps at most one unsent update per
// `key` (a newer one replaces it), so a slow client costs memory bounded by what it
// watches, never by how many changes happened.
class LiveUpdates {
 public:
  virtual ~LiveUpdates() = default;
  // To every client watching the branch.
  virtual void to_branch(const std::string& branch_id, const std::string& key, const Json& event) = 0;
  // To every client authenticated as this user (their own live view: workout_progress).
  virtual void to_user(const std::string& user_id, const std::string& key, const Json& event) = 0;
  // Checks the tokens of this user's sockets now rather than at the next periodic check (a
  // login of theirs ended): those whose token stopped working close.
  virtual void recheck(const std::string& user_id) { (void)user_id; }
};

}  // namespace spotter::cloud
