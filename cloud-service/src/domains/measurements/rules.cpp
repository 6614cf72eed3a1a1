#include "rules.hpp"

#include <cmath>

namespace spotter::cloud::measurements {

std::optional<std::string> bound_problem(std::size_t i, double value) {
  const auto& m = kMetrics.at(i);
  if (!std::isfinite(value) || value < m.min || value > m.max) {
    auto num = [](double d) {
      std::string s = std::to_string(d);
      s.erase(s.find_last_not_of('0') + 1);
      if (!s.empty() && s.back() == '.') s.pop_back();
      return s;
    };
    return "must be between " + num(m.min) + " and " + num(m.max);
  }
  return std::nullopt;
}

std::vector<MetricProgress> progress(const std::vector<MetricValues>& oldest_first) {
  std::vector<MetricProgress> out;
  for (std::size_t i = 0; i < kMetrics.size(); ++i) {
    std::optional<double> first, last;
    for (const auto& v : oldest_first) {
      if (!v[i]) continue;
      if (!first) first = v[i];
      last = v[i];
    }
    if (!first) continue;
    MetricProgress p{i, *first, *last, std::round((*last - *first) * 100) / 100, std::nullopt};
    if (*first != 0) p.change_pct = std::round((*last - *first) / *first * 1000) / 10;
    out.push_back(p);
  }
  return out;
}

}  // namespace spotter::cloud::measurements
