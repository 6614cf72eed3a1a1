// The gateway's side of sync that needs no network: outbox batches in order, settling
// (gone or quarantined, never blocking), sync positions, and the retry schedule.
#include <doctest/doctest.h>

#include <filesystem>

#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/edge/fingerprint_plan.hpp"
#include "spotter/edge/sqlite_store.hpp"
#include "spotter/edge/sync_backoff.hpp"

using namespace spotter;
using namespace spotter::edge;
using namespace std::chrono_literals;

namespace {
struct TempFile {
  std::filesystem::path file = std::filesystem::temp_directory_path() / ("spotter-sync-" + hex_encode(crypto::random_bytes(6)) + ".db");
  ~TempFile() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(file.string() + suffix);
      std::filesystem::remove(std::filesystem::path(file).replace_extension(".telemetry.db").string() + suffix);
    }
  }
};

void add_session(SqliteEdgeStore& s, const std::string& member, const std::string& id, std::int64_t at) {
  DoorOutcome o;
  o.reply = {"req", true, protocol::Reason::ok, id, std::string("Member")};
  o.member_id = member;
  o.session_started = SessionRecord{id, member, "b1", at, "front"};
  REQUIRE(s.record_door({"door-" + id, "front", "req-" + id, protocol::Direction::in, protocol::Credential::Kind::nfc, at}, o).ok());
}
}  // namespace

TEST_CASE("outbox batches come oldest first; settled events leave; quarantined ones are kept aside and do not block") {
  TempFile f;
  SqliteEdgeStore s(f.file);
  ReplicaSnapshot r;
  r.branch.id = "b1";
  r.members = {{"ana", "Ana", false}, {"bo", "Bo", false}};
  REQUIRE(s.import_replica(r).ok());
  add_session(s, "ana", "ses1", 1000);
  add_session(s, "bo", "ses2", 2000);
  auto batch = s.outbox_batch(3, 1 << 20, true);
  REQUIRE(batch.size() == 3);
  CHECK(batch[0].seq < batch[1].seq);
  CHECK(batch[0].kind == "door_event");
  CHECK(batch[1].kind == "session_started");
  REQUIRE(s.outbox_settle({batch[0].seq, batch[2].seq}, {{batch[1].seq, "unknown member ana"}}, 5000).ok());
  CHECK(s.outbox_depth() == 1);
  CHECK(s.quarantine_count() == 1);
  auto rest = s.outbox_batch(10, 1 << 20, true);
  REQUIRE(rest.size() == 1);
  CHECK(rest[0].seq > batch[2].seq);
  auto summary = s.outbox_summary(6000);
  CHECK(summary["quarantined"] == 1);
  CHECK(summary["quarantine_latest"][0]["reason"] == "unknown member ana");
  // A byte cap still returns at least one event, so a huge one cannot wedge the upload.
  CHECK(s.outbox_batch(10, 1, true).size() == 1);
  CHECK(s.outbox_batch(10, 1 << 20, false).empty());  // no bulk events here
}

TEST_CASE("sync positions survive a reopen") {
  TempFile f;
  {
    SqliteEdgeStore s(f.file);
    CHECK_FALSE(s.sync_value("replica_version").has_value());
    REQUIRE(s.set_sync_value("replica_version", "7").ok());
    REQUIRE(s.set_sync_value("replica_version", "8").ok());
  }
  SqliteEdgeStore s(f.file);
  CHECK(s.sync_value("replica_version") == "8");
}

TEST_CASE("retries back off exponentially with jitter, honour Retry-After, and start over after a success") {
  SyncBackoff b(500ms, 30s);
  CHECK(b.after_failure(0.999) <= 500ms);
  CHECK(b.after_failure(0.999) <= 1000ms);
  CHECK(b.after_failure(0.999) > 1000ms);  // third failure: up to 2 s
  for (int i = 0; i < 20; ++i) CHECK(b.after_failure(0.999) <= 30s);
  CHECK(b.after_failure(0.0) >= 250ms);  // never a busy loop
  CHECK(b.after_failure(0.1, std::chrono::seconds(45)) == 45s);
  b.reset();
  CHECK(b.failures() == 0);
  CHECK(b.after_failure(0.999) <= 500ms);
}

TEST_CASE("a replica delta replaces a member's memberships and cards, removes members and machines, in one go") {
  TempFile f;
  SqliteEdgeStore s(f.file);
  ReplicaSnapshot r;
  r.branch.id = "b1";
  r.members = {{"ana", "Ana", false}, {"bo", "Bo", false}};
  r.memberships = {{"ms1", "ana", 0, 4'000'000'000'000, false, {}}, {"ms2", "bo", 0, 4'000'000'000'000, false, {}}};
  r.cards = {{"04A1B2C3", "ana", false}, {"04B0B0B0", "bo", false}};
  r.machines = {{"tm-1", "Treadmill", protocol::Category::cardio, "treadmill"}};
  REQUIRE(s.import_replica(r).ok());
  auto delta = parse_replica_delta(Json{
      {"members", {{{"id", "ana"}, {"display_name", "Ana M."},
                    {"memberships", {{{"id", "ms1"}, {"member_id", "ana"}, {"starts_at_ms", 0}, {"expires_at_ms", 4'000'000'000'000}, {"suspended", true}}}},
                    {"cards", {{{"uid", "04A1B2C3"}, {"member_id", "ana"}, {"blocked", true}}, {{"uid", "04B0B0B0"}, {"member_id", "ana"}}}}}}},
      {"removed_members", {"bo"}},
      {"machines", {{{"id", "rw-1"}, {"name", "Rower"}, {"category", "cardio"}, {"type", "rower"}}}},
      {"removed_machines", {"tm-1"}}});
  REQUIRE(delta.ok());
  REQUIRE(s.apply_replica_delta(*delta).ok());
  CHECK(s.member("ana")->display_name == "Ana M.");
  CHECK_FALSE(s.member("bo").has_value());
  CHECK_FALSE(s.member_by_card("04A1B2C3").has_value());  // blocked
  CHECK(s.member_by_card("04B0B0B0")->id == "ana");      // Bo's old UID is Ana's now
  REQUIRE(s.memberships_of("ana").size() == 1);
  CHECK(s.memberships_of("ana")[0].suspended);
  CHECK(s.memberships_of("bo").empty());
  auto machines = s.machine_registry();
  REQUIRE(machines.size() == 1);
  CHECK(machines[0].id == "rw-1");
  // Malformed deltas are refused whole, naming the entry.
  auto bad = parse_replica_delta(Json{{"members", {{{"id", "x y"}}}}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("delta.members[0]") != std::string::npos);
  CHECK_FALSE(parse_replica_delta(Json{{"members", {{{"id", "a"}, {"display_name", "A"}, {"cards", {{{"uid", "04A1B2C3"}, {"member_id", "b"}}}}}}}}).ok());
}

TEST_CASE("fingerprints come with their member: a delta replaces them, a removed member takes them along") {
  TempFile f;
  SqliteEdgeStore s(f.file);
  ReplicaSnapshot r;
  r.branch.id = "b1";
  r.members = {{"ana", "Ana", false}, {"bo", "Bo", false}};
  r.fingerprints = {{"fp_a1", "ana", "right_index", std::string("\x01\x02\x00\xff", 4)}, {"fp_b1", "bo", "left_thumb", "bo-template"}};
  REQUIRE(s.import_replica(r).ok());
  CHECK(s.member_by_fingerprint("fp_a1")->id == "ana");
  CHECK(s.fingerprint("fp_a1")->template_ == std::string("\x01\x02\x00\xff", 4));  // bytes, not text
  CHECK(s.fingerprint_ids() == std::vector<std::string>{"fp_a1", "fp_b1"});
  const std::string tmpl = base64_encode(crypto::as_bytes("ana-new-template"));
  auto delta = parse_replica_delta(Json{
      {"members", {{{"id", "ana"}, {"display_name", "Ana"},
                    {"fingerprints", {{{"credential_id", "fp_a2"}, {"member_id", "ana"}, {"finger", "left_index"}, {"template", tmpl}}}}}}},
      {"removed_members", {"bo"}}});
  REQUIRE(delta.ok());
  REQUIRE(s.apply_replica_delta(*delta).ok());
  CHECK_FALSE(s.member_by_fingerprint("fp_a1").has_value());  // deleted in the cloud: not in her list
  CHECK_FALSE(s.member_by_fingerprint("fp_b1").has_value());  // Bo left the branch
  CHECK(s.member_by_fingerprint("fp_a2")->id == "ana");
  CHECK(s.fingerprint("fp_a2")->template_ == "ana-new-template");
  CHECK(s.fingerprint_ids() == std::vector<std::string>{"fp_a2"});
  // Someone else's fingerprint in a member's entry, or a bad template, refuses the delta.
  CHECK_FALSE(parse_replica_delta(Json{{"members", {{{"id", "a"}, {"fingerprints", {{{"credential_id", "x"}, {"member_id", "b"}, {"template", tmpl}}}}}}}}).ok());
  for (const char* bad_template : {"", "!!!!", "QUJD="}) {
    CAPTURE(bad_template);
    auto refused = parse_replica(Json{{"branch", {{"id", "b1"}}}, {"fingerprints", {{{"credential_id", "x"}, {"member_id", "a"}, {"template", bad_template}}}}});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.rfind("fingerprints[0].template", 0) == 0);
  }
  const std::string too_big = base64_encode(crypto::Bytes(4097, 7));
  CHECK_FALSE(parse_replica(Json{{"branch", {{"id", "b1"}}}, {"fingerprints", {{{"credential_id", "x"}, {"member_id", "a"}, {"template", too_big}}}}}).ok());
  // And the whole replica round-trips them.
  auto again = parse_replica(replica_to_json(r));
  REQUIRE(again.ok());
  CHECK(again->fingerprints == r.fingerprints);
}

TEST_CASE("fingerprint delivery plan: send what a sensor lacks, take back what nobody is owed, a bounded amount per round") {
  const std::set<std::string> sensors = {"front", "side"};
  std::map<std::string, std::set<std::string>> held = {{"front", {"a", "gone"}}, {"back", {"a"}}};
  auto plan = plan_fingerprints(sensors, {"a", "b"}, held, 100);
  using P = std::pair<std::string, std::string>;
  CHECK(plan.take_back == std::vector<P>{{"back", "a"}, {"front", "gone"}});  // "back" has no sensor
  CHECK(plan.send == std::vector<P>{{"front", "b"}, {"side", "a"}, {"side", "b"}});
  CHECK_FALSE(plan.more);
  auto capped = plan_fingerprints(sensors, {"a", "b"}, held, 2);
  CHECK(capped.send.size() == 2);
  CHECK(capped.more);
  CHECK(capped.take_back.size() == 2);  // taking back is never held up
  held = {{"front", {"a", "b"}}, {"side", {"a", "b"}}};
  auto settled = plan_fingerprints(sensors, {"a", "b"}, held, 100);
  CHECK(settled.send.empty());
  CHECK(settled.take_back.empty());
}
