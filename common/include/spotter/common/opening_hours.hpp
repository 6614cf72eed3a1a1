#pragma once
// A branch's opening hours (cloud-api.md): {"mon": [["06:00","22:00"]], ...}. A missing day
// is closed; "24:00" may end a day, so [["00:00","24:00"]] is open all day. An interval that
// ends at 24:00 runs on into the next day's interval that starts at 00:00.
//
// Hours are local wall-clock times in the branch's time zone; BranchCalendar turns them
// into instants, through DST changes.
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spotter/common/clock.hpp"
#include "spotter/common/json.hpp"
#include "spotter/common/result.hpp"

namespace spotter {

// Monday = 0 ... Sunday = 6, as the JSON keys "mon" ... "sun".
inline constexpr std::array<const char*, 7> kWeekdayKeys = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

struct OpenInterval {
  int open_minute = 0;   // minutes after local midnight, 0..1439
  int close_minute = 0;  // open_minute < close_minute <= 1440
  friend bool operator==(const OpenInterval&, const OpenInterval&) = default;
};

class OpeningHours {
 public:
  // Error code "invalid" with the offending day in the message.
  static Result<OpeningHours> from_json(const Json& hours);
  static OpeningHours always_open();
  Json to_json() const;

  const std::vector<OpenInterval>& day(int weekday) const { return days_.at(static_cast<std::size_t>(weekday)); }
  bool is_open(int weekday, int minute_of_day) const;
  // The local (weekday, minute) at which the opening containing (weekday, minute) ends,
  // following 24:00 -> 00:00 continuations; nullopt when closed or open around the clock.
  std::optional<std::pair<int, int>> closes_at(int weekday, int minute_of_day) const;

  friend bool operator==(const OpeningHours&, const OpeningHours&) = default;

 private:
  std::array<std::vector<OpenInterval>, 7> days_;
};

struct LocalDateTime {
  int year = 1970, month = 1, day = 1;  // civil date
  int weekday = 3;                      // Monday = 0
  int minute_of_day = 0;
  int second = 0;
};

// Local time in one IANA time zone. Implementations are immutable and thread-safe.
class TimeZone {
 public:
  virtual ~TimeZone() = default;
  virtual const std::string& name() const = 0;
  virtual LocalDateTime to_local(WallTime t) const = 0;
  // The instant of a local wall time. In a DST gap (the clock jumps over it) this is the
  // instant the gap ends; in an overlap (the hour repeats) the earlier one.
  virtual WallTime to_instant(int year, int month, int day, int minute_of_day) const = 0;
};

// From the OS time zone database (/usr/share/zoneinfo, package tzdata). Error "unknown_time_zone".
Result<std::shared_ptr<const TimeZone>> load_time_zone(const std::string& iana_name);

// Opening hours in a time zone: the questions the door and the session jobs ask.
class BranchCalendar {
 public:
  BranchCalendar(std::shared_ptr<const TimeZone> zone, OpeningHours hours)
      : zone_(std::move(zone)), hours_(std::move(hours)) {}
  bool is_open(WallTime t) const;
  // When the opening that contains `t` ends; nullopt when closed at `t` or never closing.
  std::optional<WallTime> closing_time(WallTime t) const;
  const TimeZone& zone() const { return *zone_; }
  const OpeningHours& hours() const { return hours_; }

 private:
  std::shared_ptr<const TimeZone> zone_;
  OpeningHours hours_;
};

}  // namespace spotter
