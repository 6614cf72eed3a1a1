// Challenges and their SQL: the challenge, who takes part with their progress, and the log
// of counted activity that a late joiner's progress is computed from (what they did since
// the challenge started counts, whenever they joined).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "spotter/cloud/storage.hpp"

namespace spotter::cloud::engagement {

struct Challenge {
  std::string id, creator_id;
  std::optional<std::string> branch_id;  // staff challenges: the branch whose members may join
  std::string name, metric;              // visits, training_sessions, volume_kg, distance_m
  double target = 0;
  std::int64_t starts_at = 0, ends_at = 0, reward_points = 0, created_at = 0;
};

struct Standing {
  std::string user_id;
  double progress = 0;
  std::optional<std::int64_t> completed_at;
};

// What one event counts for, in one metric (visits, training_sessions, volume_kg, distance_m).
struct Activity {
  std::string metric;
  double value = 0;
};

// A participant's challenge that an activity moved past its target.
struct Reached {
  std::string challenge_id, name;
  std::int64_t reward_points = 0;
};

class ChallengeStore {
 public:
  explicit ChallengeStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();

  Status insert(const Challenge& c);
  Result<std::optional<Challenge>> challenge(const std::string& id);
  // The caller's challenges (taking part), newest first.
  Result<std::vector<Challenge>> of_member(const std::string& user_id, std::int64_t limit);
  // Joins with the progress already made since the start: nullopt when already in, else
  // whether that progress completes it at once.
  Result<std::optional<bool>> join(const Challenge& c, const std::string& user_id, std::int64_t at);
  Result<std::vector<Standing>> standings(const std::string& challenge_id);
  // Counts an event's activities (one per metric at most): logged, and added to the member's
  // running challenges of those metrics that cover `at`; returns those it completed (each
  // once). A few statements whatever the number of metrics.
  Result<std::vector<Reached>> count(const std::string& user_id, const std::vector<Activity>& activities, std::int64_t at);

 private:
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::engagement
