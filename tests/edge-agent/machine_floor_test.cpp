// Machine state and links on a manual clock (PROTOCOL.md 3; seed 000 story 3.2).
#include <doctest/doctest.h>

#include "fakes.hpp"
#include "spotter/edge/machine_floor.hpp"

using namespace spotter;
using namespace spotter::edge;
using protocol::Credential;
using protocol::MachineState;
using protocol::MachineStatus;
using protocol::Reason;

namespace {
constexpr std::int64_t kT0 = 1'763'546'400'000;

ReplicaSnapshot members() {
  ReplicaSnapshot s;
  s.branch = {"b1", "B", "UTC", OpeningHours::always_open()};
  s.members = {{"ana", "Ana", false}, {"bo", "Bo", false}, {"cy", "Cy", false}};
  for (const char* m : {"ana", "bo", "cy"}) s.memberships.push_back({std::string("ms-") + m, m, 0, kT0 + 86'400'000, false, {}});
  s.cards = {{"04000001", "ana", false}, {"04000002", "bo", false}, {"04000003", "cy", false}};
  return s;
}

struct Floor {
  testing::MemoryDoorView view{members()};
  testing::FakeQrCheck qr;
  MachineFloor floor{"b1", MachineTimings{}};
  std::int64_t now = kT0;
  int links = 0;

  Floor() {
    view.sessions["ana"] = {"ses-ana", "ana", "b1", kT0, "front"};
    view.sessions["bo"] = {"ses-bo", "bo", "b1", kT0, "front"};
    floor.add_machine("tm-1", protocol::Category::cardio, "treadmill");
    floor.on_status("tm-1", MachineStatus{MachineState::idle, kT0, protocol::Category::cardio, "treadmill", std::nullopt, std::nullopt}, at());
  }
  WallTime at() const { return WallTime(std::chrono::milliseconds(now)); }
  FloorChanges tap(const char* uid, const char* machine = "tm-1") {
    return floor.on_auth(machine, {"a-" + std::to_string(links), {Credential::Kind::nfc, uid}, std::nullopt}, at(),
                         "lnk-" + std::to_string(++links), view, qr);
  }
  Reason reason(const FloorChanges& c) { return c.auth_reply->second.reason; }
  MachineState state(const char* m = "tm-1") { return floor.machines().at(m).effective_state(); }
};
}  // namespace

TEST_CASE("a tap by a member inside links the machine; the reply carries the link") {
  Floor f;
  auto c = f.tap("04000001");
  REQUIRE(c.auth_reply.has_value());
  CHECK(c.auth_reply->first == "tm-1");
  CHECK(c.auth_reply->second.result == protocol::AuthResult::linked);
  CHECK(c.auth_reply->second.link_id == "lnk-1");
  CHECK(c.auth_reply->second.display_name == "Ana");
  REQUIRE(c.links_started.size() == 1);
  CHECK(c.links_started[0].session_id == "ses-ana");
  CHECK(f.state() == MachineState::in_use);
  CHECK(c.state_changes == std::vector<std::pair<std::string, MachineState>>{{"tm-1", MachineState::in_use}});
  // The same member tapping again keeps the same link.
  auto again = f.tap("04000001");
  CHECK(again.auth_reply->second.link_id == "lnk-1");
  CHECK(again.links_started.empty());
}

TEST_CASE("refusals: unknown card, not inside, busy, unavailable") {
  Floor f;
  CHECK(f.reason(f.tap("04FFFFFF")) == Reason::unknown_credential);
  CHECK(f.reason(f.tap("04000003")) == Reason::not_inside);  // Cy has no session
  CHECK(f.reason(f.tap("04000001")) == Reason::ok);
  CHECK(f.reason(f.tap("04000002")) == Reason::machine_busy);
  f.floor.on_status("bike-1", MachineStatus{MachineState::maintenance, kT0, std::nullopt, std::nullopt, std::nullopt, std::nullopt}, f.at());
  CHECK(f.reason(f.tap("04000002", "bike-1")) == Reason::machine_unavailable);
  CHECK(f.reason(f.tap("04000002", "never-heard")) == Reason::machine_unavailable);
  for (const auto& c : {f.tap("04FFFFFF"), f.tap("04000002")}) CHECK(c.links_started.empty());
}

TEST_CASE("a link ends when the member leaves, and the machine is told to unlink") {
  Floor f;
  f.tap("04000001");
  auto c = f.floor.on_member_left("ana", f.at());
  REQUIRE(c.links_ended.size() == 1);
  CHECK(c.links_ended[0].ended_by == "member_left");
  REQUIRE(c.commands.size() == 1);
  CHECK(c.commands[0].first == "tm-1");
  CHECK(c.commands[0].second.cmd == protocol::CommandKind::unlink);
  CHECK(f.state() == MachineState::idle);
  CHECK(f.reason(f.tap("04000002")) == Reason::ok);  // free for Bo now
}

TEST_CASE("maintenance set by staff holds the machine until cleared, whatever it reports; its own fault does not") {
  Floor f;
  f.tap("04000001");
  auto set = f.floor.on_cloud_command("tm-1", protocol::CommandKind::set_maintenance, f.at());
  REQUIRE(set.links_ended.size() == 1);
  CHECK(set.holds == std::vector<std::pair<std::string, bool>>{{"tm-1", true}});
  REQUIRE(set.commands.size() == 1);
  CHECK(set.commands[0].second.cmd == protocol::CommandKind::set_maintenance);
  CHECK(f.state() == MachineState::maintenance);
  // Rebooted, it forgot: it says it is idle, and it stays out of service.
  auto idle = f.floor.on_status("tm-1", MachineStatus{MachineState::idle, kT0, std::nullopt, std::nullopt, std::nullopt, std::nullopt}, f.at());
  CHECK(idle.state_changes.empty());
  CHECK(f.state() == MachineState::maintenance);
  CHECK(f.reason(f.tap("04000002")) == Reason::machine_unavailable);
  // Silence does not turn it into an ordinary offline machine either.
  f.now += 120'000;
  f.floor.tick(f.at(), "p-");
  CHECK(f.state() == MachineState::maintenance);
  CHECK(f.floor.on_cloud_command("tm-1", protocol::CommandKind::set_maintenance, f.at()).holds.empty());  // already held
  f.floor.on_status("tm-1", MachineStatus{MachineState::idle, kT0, std::nullopt, std::nullopt, std::nullopt, std::nullopt}, f.at());
  auto clear = f.floor.on_cloud_command("tm-1", protocol::CommandKind::clear_maintenance, f.at());
  CHECK(clear.holds == std::vector<std::pair<std::string, bool>>{{"tm-1", false}});
  CHECK(clear.state_changes == std::vector<std::pair<std::string, MachineState>>{{"tm-1", MachineState::idle}});
  CHECK(f.reason(f.tap("04000002")) == Reason::ok);

  // A floor restored after a restart keeps the hold.
  MachineFloor again{"b1", MachineTimings{}};
  again.add_machine("tm-1", protocol::Category::cardio, "treadmill");
  again.restore_hold("tm-1");
  again.on_status("tm-1", MachineStatus{MachineState::idle, kT0, std::nullopt, std::nullopt, std::nullopt, std::nullopt}, f.at());
  CHECK(again.machines().at("tm-1").effective_state() == MachineState::maintenance);
}

TEST_CASE("a fault report or a maintenance status ends the link and makes the machine unavailable") {
  Floor f;
  f.tap("04000001");
  auto info = f.floor.on_maintenance("tm-1", {"E1", protocol::Severity::info, std::nullopt, std::nullopt}, f.at());
  CHECK(info.links_ended.empty());  // only a fault takes the machine out
  auto warn = f.floor.on_maintenance("tm-1", {"W3", protocol::Severity::warn, std::nullopt, std::nullopt}, f.at());
  CHECK(warn.links_ended.empty());
  CHECK(f.state() == MachineState::in_use);
  auto fault = f.floor.on_maintenance("tm-1", {"E42", protocol::Severity::fault, "belt", std::nullopt}, f.at());
  REQUIRE(fault.links_ended.size() == 1);
  CHECK(fault.links_ended[0].ended_by == "maintenance");
  CHECK(f.state() == MachineState::maintenance);
  CHECK(f.reason(f.tap("04000002")) == Reason::machine_unavailable);
  f.floor.on_status("tm-1", MachineStatus{MachineState::idle, kT0, std::nullopt, std::nullopt, std::nullopt, std::nullopt}, f.at());
  CHECK(f.reason(f.tap("04000002")) == Reason::ok);
}

TEST_CASE("silence: poll first, then offline; a last will is offline at once") {
  Floor f;
  f.now += 30'000;
  auto polls = f.floor.tick(f.at(), "p-");
  REQUIRE(polls.commands.size() == 1);
  CHECK(polls.commands[0].second.cmd == protocol::CommandKind::poll);
  CHECK(f.floor.tick(f.at(), "p-").commands.empty());  // not again right away
  f.now += 30'000;
  auto silent = f.floor.tick(f.at(), "p-");
  CHECK(f.state() == MachineState::offline);
  CHECK(silent.state_changes == std::vector<std::pair<std::string, MachineState>>{{"tm-1", MachineState::offline}});
  f.floor.on_activity("tm-1", false, f.at());  // a heartbeat brings it back
  CHECK(f.state() == MachineState::idle);
  f.tap("04000001");
  auto will = f.floor.on_status("tm-1", MachineStatus{MachineState::offline, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}, f.at());
  CHECK(f.state() == MachineState::offline);
  REQUIRE(will.links_ended.size() == 1);
  CHECK(will.links_ended[0].ended_by == "machine_offline");
}

TEST_CASE("a link with no telemetry for the idle time ends; telemetry keeps it") {
  Floor f;
  f.tap("04000001");
  for (int i = 0; i < 12; ++i) {
    f.now += 55'000;
    f.floor.on_activity("tm-1", true, f.at());
    CHECK(f.floor.tick(f.at(), "p-").links_ended.empty());
  }
  f.now += 600'000;
  f.floor.on_activity("tm-1", false, f.at());  // heartbeats alone do not keep a link
  auto idle = f.floor.tick(f.at(), "p-");
  REQUIRE(idle.links_ended.size() == 1);
  CHECK(idle.links_ended[0].ended_by == "idle");
  CHECK(idle.commands.back().second.cmd == protocol::CommandKind::unlink);
}

TEST_CASE("QR taps at a machine: verified, and used up by the link") {
  Floor f;
  std::string code = "qr:ana:jm1:" + std::to_string(kT0 + 60'000);
  auto c = f.floor.on_auth("tm-1", {"a-q", {Credential::Kind::qr, code}, std::nullopt}, f.at(), "lnk-q", f.view, f.qr);
  CHECK(f.reason(c) == Reason::ok);
  REQUIRE(c.qr_to_mark_used.has_value());
  f.view.used_qr.insert("jm1");
  auto replay = f.floor.on_auth("tm-1", {"a-q2", {Credential::Kind::qr, code}, std::nullopt}, f.at(), "lnk-q2", f.view, f.qr);
  CHECK(f.reason(replay) == Reason::replayed_qr);
}

TEST_CASE("a member uses one machine at a time: tapping another ends the first link") {
  Floor f;
  f.floor.on_status("bike-1", MachineStatus{MachineState::idle, kT0, protocol::Category::cardio, "bike", std::nullopt, std::nullopt}, f.at());
  CHECK(f.reason(f.tap("04000001")) == Reason::ok);
  auto moved = f.tap("04000001", "bike-1");
  CHECK(f.reason(moved) == Reason::ok);
  REQUIRE(moved.links_ended.size() == 1);
  CHECK(moved.links_ended[0].link.machine_id == "tm-1");
  CHECK(moved.links_ended[0].ended_by == "member_moved");
  REQUIRE(moved.commands.size() == 1);
  CHECK(moved.commands[0].first == "tm-1");
  CHECK(f.state("tm-1") == MachineState::idle);
  CHECK(f.state("bike-1") == MachineState::in_use);
}

TEST_CASE("in use, then idle: the machine says the member is done and the link ends; idle before use keeps it") {
  Floor f;
  f.tap("04000001");
  auto idle_at_tap = f.floor.on_status("tm-1", MachineStatus{MachineState::idle, kT0, std::nullopt, std::nullopt, std::nullopt, std::string("lnk-1")}, f.at());
  CHECK(idle_at_tap.links_ended.empty());  // linked, not started yet
  CHECK(f.state() == MachineState::in_use);
  f.floor.on_status("tm-1", MachineStatus{MachineState::in_use, kT0, std::nullopt, std::nullopt, std::nullopt, std::string("lnk-1")}, f.at());
  f.now += 60'000;
  auto done = f.floor.on_status("tm-1", MachineStatus{MachineState::idle, kT0 + 60'000, std::nullopt, std::nullopt, std::nullopt, std::string("lnk-1")}, f.at());
  REQUIRE(done.links_ended.size() == 1);
  CHECK(done.links_ended[0].ended_by == "machine");
  CHECK(done.links_ended[0].link.member_id == "ana");
  CHECK(done.commands.empty());  // the machine knows: no unlink to send
  CHECK(f.state() == MachineState::idle);
  CHECK(f.reason(f.tap("04000002")) == Reason::ok);  // Bo straight after
}
