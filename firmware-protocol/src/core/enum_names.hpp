#pragma once
// Wire names of every enumeration, indexed by the enum's value.
#include <array>
#include <optional>
#include <string_view>

#include "spotter/protocol/codec.hpp"

namespace spotter::protocol {

inline constexpr std::array<std::string_view, 5> kMachineStateNames = {"idle", "in_use", "maintenance", "error", "offline"};
inline constexpr std::array<std::string_view, 3> kCategoryNames = {"cardio", "strength", "functional"};
inline constexpr std::array<std::string_view, 3> kSeverityNames = {"info", "warn", "fault"};
inline constexpr std::array<std::string_view, 2> kDirectionNames = {"in", "out"};
inline constexpr std::array<std::string_view, 4> kCommandNames = {"poll", "unlink", "set_maintenance", "clear_maintenance"};
inline constexpr std::array<std::string_view, 2> kAuthResultNames = {"linked", "denied"};
inline constexpr std::array<std::string_view, 2> kReaderStateNames = {"online", "offline"};
inline constexpr std::array<std::string_view, 14> kReasonNames = {
    "ok",         "unknown_credential", "no_active_membership", "branch_not_allowed", "branch_closed",
    "already_inside", "not_inside",     "account_suspended",    "invalid_qr",         "expired_qr",
    "replayed_qr", "malformed",         "machine_busy",         "machine_unavailable"};
inline constexpr std::array<std::string_view, kRejectReasonCount> kRejectReasonNames = {
    "bad_topic", "too_large",   "bad_utf8",     "not_json",   "too_deep",  "duplicate_key",
    "not_object", "missing_field", "wrong_type", "out_of_range", "bad_value", "inconsistent"};

template <class E, std::size_t N>
std::optional<E> enum_from_name(const std::array<std::string_view, N>& names, std::string_view text) {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

}  // namespace spotter::protocol
