#pragma once
// Typed firmware protocol v1 messages (see firmware-protocol/PROTOCOL.md). A value of these
// types that came out of the codec has passed every bound and consistency rule.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace spotter::protocol {

enum class MachineState { idle, in_use, maintenance, error, offline };
enum class Category { cardio, strength, functional };
enum class Severity { info, warn, fault };
// What a maintenance report does, on the gateway and in the cloud alike: a fault takes the
// machine out of service until it is cleared; warn and info are recorded (warn also tells
// staff) and the machine stays in use.
constexpr bool takes_out_of_service(Severity s) noexcept { return s == Severity::fault; }
enum class Direction { in, out };
enum class CommandKind { poll, unlink, set_maintenance, clear_maintenance };
enum class AuthResult { linked, denied };
enum class ReaderState { online, offline };

// Why a door or a machine link was refused (or `ok`). Door decisions use the door
// subset, auth replies the machine subset (PROTOCOL.md 3.7 and 4.2).
enum class Reason {
  ok,
  unknown_credential,
  no_active_membership,
  branch_not_allowed,
  branch_closed,
  already_inside,
  not_inside,
  account_suspended,
  invalid_qr,
  expired_qr,
  replayed_qr,
  malformed,
  machine_busy,
  machine_unavailable,
};

struct Credential {
  enum class Kind { nfc, qr, fingerprint };
  Kind kind = Kind::nfc;
  // The NFC UID (upper-case hex), the QR payload text, or the id of the fingerprint
  // credential whose template the reader matched (PROTOCOL.md 2.1, 4.4).
  std::string value;
  friend bool operator==(const Credential&, const Credential&) = default;
};

struct MachineStatus {
  MachineState state = MachineState::idle;
  std::optional<std::int64_t> ts;  // absent only in the last will ({"state":"offline"})
  std::optional<Category> category;
  std::optional<std::string> type;
  std::optional<std::string> fw;
  std::optional<std::string> link_id;
  friend bool operator==(const MachineStatus&, const MachineStatus&) = default;
};

struct Heartbeat {
  std::int64_t ts = 0;
  std::optional<std::int64_t> uptime_s;
  std::optional<std::int64_t> rssi_dbm;
  friend bool operator==(const Heartbeat&, const Heartbeat&) = default;
};

// Every metric of every category; which ones are read depends on the category.
struct Metrics {
  std::optional<double> speed_kmh, incline_pct, distance_m;
  std::optional<std::int64_t> elapsed_s, heart_rate_bpm;
  std::optional<double> calories_kcal, cadence_rpm, power_w, resistance_level, stroke_rate_spm;
  std::optional<std::int64_t> rep, set_index;
  std::optional<double> weight_kg, rom_cm, duration_s;
  std::optional<std::string> exercise;
  friend bool operator==(const Metrics&, const Metrics&) = default;
};

struct Telemetry {
  std::int64_t msg_id = 0;
  std::int64_t ts = 0;
  Metrics metrics;
  std::optional<std::string> boot_id;
  std::optional<std::string> link_id;
  std::optional<Category> category;  // from the payload (extension); not the inferred one
  friend bool operator==(const Telemetry&, const Telemetry&) = default;
};

struct CardioSummary {
  double duration_s = 0;
  std::optional<double> distance_m, calories_kcal;
  std::optional<std::int64_t> avg_heart_rate_bpm, max_heart_rate_bpm;
  std::optional<double> avg_power_w;
  friend bool operator==(const CardioSummary&, const CardioSummary&) = default;
};

struct StrengthSet {
  std::int64_t reps = 0;
  double weight_kg = 0;
  friend bool operator==(const StrengthSet&, const StrengthSet&) = default;
};

struct StrengthSummary {
  std::string exercise;
  std::vector<StrengthSet> sets;
  friend bool operator==(const StrengthSummary&, const StrengthSummary&) = default;
};

struct FunctionalSummary {
  std::string exercise;
  double duration_s = 0;
  std::optional<std::int64_t> reps;
  friend bool operator==(const FunctionalSummary&, const FunctionalSummary&) = default;
};

struct Workout {
  std::int64_t msg_id = 0;
  std::int64_t ts_start = 0;
  std::int64_t ts_end = 0;
  std::variant<CardioSummary, StrengthSummary, FunctionalSummary> summary;
  std::optional<std::string> boot_id;
  std::optional<std::string> link_id;
  Category category() const { return static_cast<Category>(summary.index()); }
  friend bool operator==(const Workout&, const Workout&) = default;
};

struct MachineAuth {
  std::string req_id;
  Credential credential;
  std::optional<std::int64_t> ts;
  friend bool operator==(const MachineAuth&, const MachineAuth&) = default;
};

struct AuthReply {
  std::string req_id;
  AuthResult result = AuthResult::denied;
  Reason reason = Reason::malformed;
  std::optional<std::string> link_id;
  std::optional<std::string> display_name;
  friend bool operator==(const AuthReply&, const AuthReply&) = default;
};

struct Command {
  std::string req_id;
  CommandKind cmd = CommandKind::poll;
  std::optional<std::int64_t> ts;
  friend bool operator==(const Command&, const Command&) = default;
};

struct Maintenance {
  std::string code;
  Severity severity = Severity::info;
  std::optional<std::string> detail;
  std::optional<std::int64_t> ts;
  friend bool operator==(const Maintenance&, const Maintenance&) = default;
};

struct DoorScan {
  std::string req_id;
  Credential credential;
  Direction direction = Direction::in;
  std::optional<std::int64_t> ts;
  friend bool operator==(const DoorScan&, const DoorScan&) = default;
};

struct DoorDecision {
  std::string req_id;
  bool granted = false;
  Reason reason = Reason::malformed;
  std::optional<std::string> session_id;
  std::optional<std::string> display_name;
  friend bool operator==(const DoorDecision&, const DoorDecision&) = default;
};

struct DoorStatus {
  ReaderState state = ReaderState::online;
  std::optional<std::int64_t> ts;
  std::optional<std::string> fw;
  bool fingerprint = false;  // the reader has a fingerprint sensor: it is sent templates (4.4)
  friend bool operator==(const DoorStatus&, const DoorStatus&) = default;
};

// The alternatives are in MessageType order (topic.hpp).
using Message = std::variant<MachineStatus, Heartbeat, Telemetry, Workout, MachineAuth, AuthReply, Command,
                             Maintenance, DoorScan, DoorDecision, DoorStatus>;

// Bounds shared by the codec, its tests and the simulator.
inline constexpr std::size_t kMaxPayloadBytes = 16 * 1024;
inline constexpr int kMaxDepth = 8;
inline constexpr std::int64_t kMaxTimestampMs = 4'102'444'800'000;  // 2100-01-01
inline constexpr std::int64_t kMaxMsgId = 9'007'199'254'740'991;     // 2^53 - 1
inline constexpr std::int64_t kMaxWorkoutSpanMs = 86'400'000;

}  // namespace spotter::protocol
