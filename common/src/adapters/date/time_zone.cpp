// TimeZone on Howard Hinnant's date/tz library (the model for C++20 <chrono> time zones,
// which GCC 12's libstdc++ lacks), reading the OS tzdb in /usr/share/zoneinfo.
#include <date/tz.h>

#include "spotter/common/opening_hours.hpp"

namespace spotter {
namespace {

class DateTimeZone final : public TimeZone {
 public:
  DateTimeZone(const date::time_zone* zone, std::string name) : zone_(zone), name_(std::move(name)) {}
  const std::string& name() const override { return name_; }

  LocalDateTime to_local(WallTime t) const override {
    auto local = zone_->to_local(std::chrono::time_point_cast<std::chrono::seconds>(t));
    auto day = date::floor<date::days>(local);
    date::year_month_day ymd(day);
    auto since_midnight = local - day;
    LocalDateTime out;
    out.year = static_cast<int>(ymd.year());
    out.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
    out.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
    out.weekday = static_cast<int>((date::weekday(day).iso_encoding() + 6) % 7);
    out.minute_of_day = static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(since_midnight).count());
    out.second = static_cast<int>(since_midnight.count() % 60);
    return out;
  }

  WallTime to_instant(int year, int month, int day, int minute_of_day) const override {
    date::local_days d{date::year(year) / static_cast<unsigned>(month) / static_cast<unsigned>(day)};
    date::local_seconds lt = d + std::chrono::minutes(minute_of_day);
    auto info = zone_->get_info(lt);
    date::sys_seconds sys;
    switch (info.result) {
      case date::local_info::unique: sys = date::sys_seconds{lt.time_since_epoch()} - info.first.offset; break;
      case date::local_info::ambiguous: sys = date::sys_seconds{lt.time_since_epoch()} - info.first.offset; break;
      case date::local_info::nonexistent: sys = info.second.begin; break;  // the gap ends
    }
    return std::chrono::time_point_cast<std::chrono::milliseconds>(sys);
  }

 private:
  const date::time_zone* zone_;
  std::string name_;
};

}  // namespace

Result<std::shared_ptr<const TimeZone>> load_time_zone(const std::string& iana_name) {
  // The name becomes a path under /usr/share/zoneinfo: refuse anything that could escape it.
  if (iana_name.empty() || iana_name.size() > 64 || iana_name.find("..") != std::string::npos || iana_name[0] == '/') {
    return fail("unknown_time_zone", "not an IANA time zone name");
  }
  try {
    const date::time_zone* z = date::locate_zone(iana_name);
    return std::shared_ptr<const TimeZone>(std::make_shared<DateTimeZone>(z, iana_name));
  } catch (const std::exception&) {
    return fail("unknown_time_zone", "unknown IANA time zone \"" + iana_name + "\"");
  }
}

}  // namespace spotter
