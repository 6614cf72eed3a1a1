// Every SQL statement of the machines domain: the registry and state of machines, links
// (a member on a machine), queues, and workouts. Thread-safe.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "spotter/cloud/storage.hpp"
#include "spotter/common/json.hpp"

namespace spotter::cloud::machines {

struct MachineRow {
  std::string branch_id;
  std::string state;
  bool held_by_staff = false;  // shown_machine_state()
  std::string type, category;
};

struct Link {
  std::string id, machine_id, user_id;
  std::optional<std::string> session_id;
  std::int64_t started_at = 0;
};

struct NewMachine {
  std::string id, branch_id, name, category, type;
};

struct Workout {
  std::string id, machine_id, dedup_key, data;
  std::optional<std::string> user_id, session_id, link_id;
  std::int64_t started_at = 0, ended_at = 0;
};

class MachineStore {
 public:
  explicit MachineStore(SqlDatabase& db) : db_(db) {}
  static std::vector<Migration> migrations();
  // An erased person: out of every queue, and their workouts from the machines gone (the
  // links stay, like visits). org::events::kMemberErased.
  Status erase_member(const std::string& user_id);

  // Registry and state
  Status insert(const NewMachine& m, std::int64_t now);  // conflict: id taken; reference: no such branch
  Result<std::optional<MachineRow>> machine(const std::string& id);
  // Availability items of a branch, by id after `after`: each with `linked` and `queue_length`.
  Result<Json> availability(const std::string& branch_id, const std::string& after, std::int64_t limit);
  // One machine's availability item and its branch.
  Result<std::optional<std::pair<std::string, Json>>> item(const std::string& machine_id);
  Status heartbeat(const std::string& machine_id, const std::string& state, bool drop_code, std::int64_t now);
  Status set_out_of_service(const std::string& machine_id, bool out, const std::string& code, bool staff_hold, std::int64_t now);
  // A state the machine reports of itself, kept only while no staff hold is on it.
  Status reported_state(const std::string& machine_id, const std::string& state, bool drop_code, std::int64_t seen_at, std::int64_t now);
  Result<std::vector<std::string>> silent_since(std::int64_t cutoff);
  Result<bool> mark_offline(const std::string& machine_id, std::int64_t now);
  Result<bool> of_branch(const std::string& machine_id, const std::string& branch_id);
  Result<std::vector<std::pair<std::string, std::string>>> all_machines();  // (id, branch id)

  // Links
  Result<std::optional<Link>> active_link_of_machine(const std::string& machine_id);
  // The active link of a machine of this branch, if any (one query: live progress).
  Result<std::optional<Link>> active_link_in_branch(const std::string& machine_id, const std::string& branch_id);
  Result<std::optional<Link>> active_link_of_user(const std::string& user_id);
  Result<std::optional<Link>> link(const std::string& id);
  Status insert_link(const Link& l);
  Result<bool> end_link(const std::string& id, std::int64_t at, const std::string& ended_by);
  // A visit ended: its active links end ("session_end") and the member leaves the branch's
  // queues. What it ended, and the machines whose queue it left.
  struct LeftVisit {
    std::vector<Link> ended;
    std::vector<std::string> queues_left;
  };
  Result<LeftVisit> leave_visit(const std::string& session_id, const std::string& user_id, const std::string& branch_id, std::int64_t at);
  // The links a report from the machine replaces: any active one on it or of the member.
  Result<std::vector<Link>> active_links_of_machine_or_user(const std::string& machine_id, const std::string& user_id);
  Result<Json> links_of_visit(const std::string& session_id);
  // The link that covered [start, end] on the machine, the newest if several.
  Result<std::optional<Link>> link_covering(const std::string& machine_id, std::int64_t start, std::int64_t end);

  // Queue
  Result<std::vector<std::string>> queue(const std::string& machine_id);  // first in line first
  Status join_queue(const std::string& machine_id, const std::string& user_id, std::int64_t now);
  Result<bool> leave_queue(const std::string& machine_id, const std::string& user_id);
  Result<std::optional<double>> average_link_ms(const std::string& machine_id);

  // Workouts
  // stored false: already there (machine, dedup_key), or a link summary whose link has the
  // machine's own workouts; withdrawn: the link's summary this one replaced.
  struct StoredWorkout {
    bool stored = false;
    std::optional<std::string> withdrawn;
  };
  Result<StoredWorkout> insert_workout(const Workout& w, std::int64_t now);
  // Workouts that name a link the cloud had not seen when they came: now that it has, they
  // are the link's member's and visit's. Those it attributed.
  Result<std::vector<Workout>> attribute_waiting(const Link& link);
  // Per machine of the branch: workouts, and those with no member (no link at all / a link
  // not seen yet), for the usage reports.
  Result<Json> usage(const std::string& branch_id);
  Result<Json> workouts_of(const std::string& user_id, std::optional<std::pair<std::int64_t, std::string>> before, std::int64_t limit);

  // Replica and import
  Result<Json> replica_machines(const std::string& branch_id, const std::optional<std::string>& one);
  Result<std::size_t> import_machines(const std::string& branch_id, const Json& list, std::int64_t now);

 private:
  Result<bool> insert_workout_row(const Workout& w, std::int64_t now);
  SqlDatabase& db_;
};

}  // namespace spotter::cloud::machines
