// Body measurements (cloud-api-2.md "Chain operations"): which metrics there are, their
// plausible bounds, and progress between two measurements. Pure.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spotter::cloud::measurements {

struct MetricSpec {
  std::string_view name;
  double min, max;  // plausible for an adult member: outside is a typo, refused (400)
};
inline constexpr std::array<MetricSpec, 10> kMetrics{{{"weight_kg", 20, 400},
                                                      {"height_cm", 50, 260},
                                                      {"body_fat_pct", 2, 75},
                                                      {"muscle_mass_kg", 5, 200},
                                                      {"chest_cm", 40, 250},
                                                      {"waist_cm", 30, 250},
                                                      {"hips_cm", 40, 250},
                                                      {"arm_cm", 10, 100},
                                                      {"thigh_cm", 20, 150},
                                                      {"resting_heart_rate_bpm", 25, 220}}};
using MetricValues = std::array<std::optional<double>, kMetrics.size()>;

// Why `value` is refused for metric `i` (nullopt: fine).
std::optional<std::string> bound_problem(std::size_t i, double value);

struct MetricProgress {
  std::size_t metric = 0;
  double first = 0, last = 0, change = 0;
  std::optional<double> change_pct;  // one decimal; none when `first` is 0
};
// For each metric measured at least once in `oldest_first`: its first and last values.
std::vector<MetricProgress> progress(const std::vector<MetricValues>& oldest_first);

}  // namespace spotter::cloud::measurements
