// What a branch gateway uploads (docs/sync.md): the sync domain owns the upload (order,
// duplicates, quarantine) and hands each event to the domain that registered its kind
// here, inside the batch's transaction. A domain applies only to its own tables.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "spotter/common/ids.hpp"
#include "spotter/common/json.hpp"
#include "spotter/common/result.hpp"

namespace spotter::cloud {

struct GatewayOrigin {
  std::string gateway_id;
  std::string branch_id;
};

struct Applied {
  bool quarantined = false;
  std::string reason;  // why quarantined, or a note ("merged into ses_…")
};

inline Applied quarantine(std::string reason) { return Applied{true, std::move(reason)}; }

// A storage failure is an Error (the batch rolls back and the gateway retries); bad or
// unknown data is a quarantined Applied (the batch goes on). `at_ms` is when the gateway
// recorded the event; `body` is an object.
using GatewayEventHandler = std::function<Result<Applied>(const GatewayOrigin&, std::int64_t at_ms, const Json& body)>;

class GatewayEventTable {
 public:
  void add(std::string kind, GatewayEventHandler handler) { handlers_.emplace(std::move(kind), std::move(handler)); }
  const GatewayEventHandler* find(const std::string& kind) const {
    auto it = handlers_.find(kind);
    return it == handlers_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, GatewayEventHandler> handlers_;
};

// Field readers for gateway bodies: nothing when absent or of another shape.
inline std::optional<std::string> id_field(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end()) return std::nullopt;
  const auto* text = it->get_ptr<const std::string*>();
  if (!text || !is_valid_id(*text)) return std::nullopt;
  return *text;
}

// Milliseconds since the epoch between 2000 and 2100.
inline std::optional<std::int64_t> time_field(const Json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_number_integer()) return std::nullopt;
  auto v = it->get<std::int64_t>();
  if (v < 946684800000 || v > 4102444800000) return std::nullopt;
  return v;
}

inline std::string text_field(const Json& body, const char* name, std::size_t max_len, std::string fallback = {}) {
  auto it = body.find(name);
  const auto* text = it == body.end() ? nullptr : it->get_ptr<const std::string*>();
  return text ? text->substr(0, max_len) : fallback;
}

}  // namespace spotter::cloud
