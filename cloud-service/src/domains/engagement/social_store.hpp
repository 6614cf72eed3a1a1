// The social side of engagement and its SQL: buddy requests and buddies (both directions
// stored), blocks, the feed (one row per thing worth showing, written when it happens),
// reports and moderation, and who asked to be left off leaderboards.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "spotter/cloud/storage.hpp"
#include "spotter/common/json.hpp"

namespace spotter::cloud::engagement {

struct BuddyRequest {
  std::string id, from_user, to_user, status;  // pending, accepted, declined
  std::int64_t created_at = 0;
};

struct FeedItem {
  std::int64_t id = 0;
  std::string user_id, kind, ref_id;  // kind: training_session, record, achievement, challenge
  std::optional<std::string> branch_id;
  std::string payload;  // JSON text
  std::int64_t at = 0;
};

struct Report {
  std::int64_t id = 0, item_id = 0;
  std::string reporter_id, reason, status;  // open, hidden
  std::int64_t at = 0;
  std::optional<std::string> branch_id;  // the item's
};

class SocialStore {
 public:
  explicit SocialStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();

  // Buddies and requests.
  Result<bool> are_buddies(const std::string& a, const std::string& b);
  Result<bool> blocked(const std::string& by, const std::string& whom);
  Result<std::optional<BuddyRequest>> pending_between(const std::string& from, const std::string& to);
  Status insert_request(const BuddyRequest& r);
  Result<std::optional<BuddyRequest>> request(const std::string& id);
  // pending -> accepted|declined, once (false: it was answered before).
  Result<bool> answer(const std::string& id, const std::string& status, std::int64_t at);
  Status befriend(const std::string& a, const std::string& b, std::int64_t at);
  Result<bool> unfriend(const std::string& a, const std::string& b);
  Result<std::vector<std::pair<std::string, std::int64_t>>> buddies(const std::string& user_id);
  Result<std::vector<BuddyRequest>> pending_of(const std::string& user_id);  // asked by or of them
  Status block(const std::string& by, const std::string& whom, std::int64_t at);
  Result<bool> unblock(const std::string& by, const std::string& whom);
  // Pending requests between the two, either way, declined.
  Status decline_between(const std::string& a, const std::string& b, std::int64_t at);

  // Feed.
  Status add_item(const FeedItem& item);  // once per (kind, ref_id)
  // The caller's and their buddies' items, newest first, not hidden.
  Result<std::vector<FeedItem>> feed(const std::string& user_id, std::optional<std::int64_t> before_id, std::int64_t limit);
  Result<std::optional<FeedItem>> item(std::int64_t id);
  // false: this member reported it before.
  Result<bool> report(std::int64_t item_id, const std::string& reporter, const std::string& reason, std::int64_t at);
  Result<std::vector<Report>> open_reports(std::optional<std::int64_t> before_id, std::int64_t limit);
  Result<std::optional<Report>> report_by_id(std::int64_t id);
  Status hide_item(std::int64_t item_id, std::int64_t at);

  // Leaderboard opt-out.
  Status set_hidden_from_boards(const std::string& user_id, bool hidden, std::int64_t at);

 private:
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::engagement
