// Door decisions for every reason in PROTOCOL.md 4.2, on a manual clock.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>

#include "fakes.hpp"
#include "spotter/edge/sqlite_store.hpp"

using namespace spotter;
using namespace spotter::edge;
using protocol::Credential;
using protocol::Direction;
using protocol::DoorScan;
using protocol::Reason;

namespace {
// Wednesday 2025-11-19 10:00 UTC.
constexpr std::int64_t kNow = 1763546400000;
constexpr std::int64_t kDay = 86'400'000;

ReplicaSnapshot branch() {
  ReplicaSnapshot s;
  s.branch = {"b1", "Downtown", "UTC", OpeningHours::from_json(parse_json_strict(R"({"wed":[["06:00","22:00"]]})").value()).value()};
  s.members = {{"ana", "Ana M.", false}, {"bo", "Bo", false}, {"cy", "Cy", true}, {"di", "Di", false},
               {"ed", "Ed", false}, {"fay", "Fay", false}, {"gus", "Gus", false}};
  s.memberships = {
      {"ms1", "ana", kNow - 10 * kDay, kNow + 20 * kDay, false, {}},
      {"ms2", "bo", kNow - 40 * kDay, kNow - kDay, false, {}},          // expired yesterday
      {"ms3", "cy", kNow - kDay, kNow + kDay, false, {}},               // account suspended
      {"ms4", "di", kNow - kDay, kNow + kDay, false, {"b2", "b3"}},     // other branches only
      {"ms5", "ed", kNow - kDay, kNow + kDay, true, {}},                // subscription suspended
      {"ms6", "fay", kNow + kDay, kNow + 30 * kDay, false, {}},         // starts tomorrow
      {"ms7", "gus", kNow - kDay, kNow + kDay, false, {"b1"}},
  };
  s.cards = {{"04A1B2C3D4E5F6", "ana", false}, {"04000000000002", "bo", false}, {"04000000000003", "cy", false},
             {"04000000000004", "di", false}, {"04000000000005", "ed", false}, {"04000000000006", "fay", false},
             {"04000000000007", "gus", false}, {"04BBBBBBBBBBBB", "ana", true}};
  s.fingerprints = {{"fp_ana", "ana", "right_index", "tmpl-a"}, {"fp_bo", "bo", "left_thumb", "tmpl-b"}};
  return s;
}

// The contract suite runs the same scenarios against each DoorStore.
struct MemoryStore {
  testing::MemoryDoorView store{branch()};
  std::size_t open_sessions() const { return store.sessions.size(); }
};

struct SqliteStore {
  std::filesystem::path file = std::filesystem::temp_directory_path() / ("spotter-edge-test-" + std::to_string(std::random_device{}()) + ".db");
  SqliteEdgeStore store{file};
  SqliteStore() { REQUIRE(store.import_replica(branch()).ok()); }
  ~SqliteStore() {
    for (const char* ext : {"", "-wal", "-shm"}) {
      std::filesystem::remove(file.string() + ext);
      std::filesystem::remove(std::filesystem::path(file).replace_extension(".telemetry.db").string() + ext);
    }
  }
  std::size_t open_sessions() const {
    std::size_t n = 0;
    for (const auto& m : branch().members) n += store.open_session(m.id).has_value();
    return n;
  }
};

template <class Store>
struct Door {
  Store s;
  testing::FakeQrCheck qr;
  BranchCalendar calendar{load_time_zone("UTC").value(), branch().branch.hours};
  int counter = 0;

  DoorOutcome scan(Credential cred, Direction dir = Direction::in, std::int64_t now = kNow) {
    auto kind = cred.kind;
    DoorScan scan{"s-" + std::to_string(++counter), std::move(cred), dir, std::nullopt};
    std::string door = "front";
    auto out = decide_door({scan, door, WallTime(std::chrono::milliseconds(now)), "ses_" + std::to_string(counter)}, "b1", calendar, s.store, qr);
    CHECK(out.reply.req_id == scan.req_id);
    CHECK(out.reply.granted == (out.reply.reason == Reason::ok));
    REQUIRE(s.store.record_door({"ev" + std::to_string(counter), door, scan.req_id, dir, kind, now}, out).ok());
    return out;
  }
  Reason nfc(const char* uid, Direction dir = Direction::in, std::int64_t now = kNow) {
    return scan({Credential::Kind::nfc, uid}, dir, now).reply.reason;
  }
};
}  // namespace

TEST_CASE_TEMPLATE("a member with a current membership enters, starting a session, and leaves, ending it", Store, MemoryStore, SqliteStore) {
  Door<Store> d;
  auto in = d.scan({Credential::Kind::nfc, "04A1B2C3D4E5F6"});
  CHECK(in.reply.granted);
  CHECK(in.reply.display_name == "Ana M.");
  REQUIRE(in.session_started.has_value());
  CHECK(in.session_started->member_id == "ana");
  CHECK(in.session_started->branch_id == "b1");
  CHECK(in.session_started->entry_door == "front");
  CHECK(in.reply.session_id == in.session_started->id);
  auto out = d.scan({Credential::Kind::nfc, "04A1B2C3D4E5F6"}, Direction::out);
  CHECK(out.reply.granted);
  REQUIRE(out.session_ended.has_value());
  CHECK(out.session_ended->id == in.session_started->id);
  CHECK(d.s.open_sessions() == 0);
}

TEST_CASE_TEMPLATE("every refusal reason", Store, MemoryStore, SqliteStore) {
  Door<Store> d;
  CHECK(d.nfc("04FFFFFFFFFFFF") == Reason::unknown_credential);
  CHECK(d.nfc("04BBBBBBBBBBBB") == Reason::unknown_credential);  // a blocked card is as good as unknown
  CHECK(d.nfc("04000000000002") == Reason::no_active_membership);   // expired
  CHECK(d.nfc("04000000000006") == Reason::no_active_membership);   // not started yet
  CHECK(d.nfc("04000000000003") == Reason::account_suspended);
  CHECK(d.nfc("04000000000005") == Reason::account_suspended);      // the subscription is suspended
  CHECK(d.nfc("04000000000004") == Reason::branch_not_allowed);
  CHECK(d.nfc("04000000000007") == Reason::ok);                     // a plan for this branch only
  CHECK(d.nfc("04000000000007") == Reason::already_inside);
  CHECK(d.nfc("04A1B2C3D4E5F6", Direction::out) == Reason::not_inside);
  // Closed: Wednesday 22:00 and later.
  CHECK(d.nfc("04A1B2C3D4E5F6", Direction::in, kNow + 12 * 3'600'000) == Reason::branch_closed);
  // No refusal starts or ends a session.
  CHECK(d.s.open_sessions() == 1);
}

TEST_CASE_TEMPLATE("leaving is allowed after closing time and after the membership lapsed", Store, MemoryStore, SqliteStore) {
  Door<Store> d;
  CHECK(d.nfc("04A1B2C3D4E5F6") == Reason::ok);
  CHECK(d.nfc("04A1B2C3D4E5F6", Direction::out, kNow + 40 * kDay) == Reason::ok);
}

TEST_CASE_TEMPLATE("QR codes: verified, expired, replayed, and used up only by an opened door", Store, MemoryStore, SqliteStore) {
  Door<Store> d;
  std::string code = "qr:ana:j1:" + std::to_string(kNow + 60'000);
  auto first = d.scan({Credential::Kind::qr, code});
  CHECK(first.reply.reason == Reason::ok);
  REQUIRE(first.qr_to_mark_used.has_value());
  CHECK(first.qr_to_mark_used->jti == "j1");
  CHECK(d.scan({Credential::Kind::qr, code}).reply.reason == Reason::replayed_qr);
  CHECK(d.scan({Credential::Kind::qr, "garbage"}).reply.reason == Reason::invalid_qr);
  CHECK(d.scan({Credential::Kind::qr, "qr:ana:j2:" + std::to_string(kNow - 1)}).reply.reason == Reason::expired_qr);
  CHECK(d.scan({Credential::Kind::qr, "qr:nobody:j3:" + std::to_string(kNow + 60'000)}).reply.reason == Reason::unknown_credential);
  // Refused (already inside): the code stays usable for its remaining seconds.
  auto refused = d.scan({Credential::Kind::qr, "qr:ana:j4:" + std::to_string(kNow + 60'000)});
  CHECK(refused.reply.reason == Reason::already_inside);
  CHECK_FALSE(refused.qr_to_mark_used.has_value());
  CHECK(d.s.store.qr_used("j1"));
  CHECK_FALSE(d.s.store.qr_used("j4"));
}

TEST_CASE("entitlement: a current membership for this branch wins over others") {
  MemberRecord m{"m", "M", false};
  std::vector<MembershipRecord> ms = {{"a", "m", 0, 100, false, {"x"}}, {"b", "m", 0, 100, true, {"b1"}}, {"c", "m", 0, 100, false, {"b1"}}};
  CHECK_FALSE(entitlement(m, ms, "b1", 50).has_value());
  ms.pop_back();
  CHECK(entitlement(m, ms, "b1", 50) == Reason::branch_not_allowed);
  CHECK(entitlement(m, ms, "b1", 100) == Reason::no_active_membership);  // expiry is exclusive
}

TEST_CASE_TEMPLATE("a matched fingerprint is decided like the member's card; an unknown one is no one", Store, MemoryStore, SqliteStore) {
  Door<Store> d;
  auto in = d.scan({Credential::Kind::fingerprint, "fp_ana"});
  CHECK(in.reply.granted);
  CHECK(in.reply.display_name == "Ana M.");
  REQUIRE(in.session_started.has_value());
  CHECK(in.session_started->member_id == "ana");
  CHECK(d.scan({Credential::Kind::fingerprint, "fp_ana"}).reply.reason == Reason::already_inside);
  CHECK(d.scan({Credential::Kind::fingerprint, "fp_ana"}, Direction::out).reply.granted);
  CHECK(d.scan({Credential::Kind::fingerprint, "fp_bo"}).reply.reason == Reason::no_active_membership);  // expired
  CHECK(d.scan({Credential::Kind::fingerprint, "fp_nobody"}).reply.reason == Reason::unknown_credential);
  // A card UID is not a fingerprint id, nor the other way round.
  CHECK(d.scan({Credential::Kind::fingerprint, "04A1B2C3D4E5F6"}).reply.reason == Reason::unknown_credential);
}
