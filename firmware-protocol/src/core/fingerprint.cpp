// Fingerprint template topics and payloads (PROTOCOL.md 4.4).
#include "spotter/protocol/fingerprint.hpp"

#include "field_reader.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::protocol {
namespace {
constexpr std::string_view kRoot = "spotter/v1/";
constexpr std::string_view kDoors = "/doors/";
constexpr std::string_view kFingerprints = "/fingerprints/";
// 4,096 template bytes sealed (28 more) are 5,500 characters of base64.
constexpr std::size_t kMaxSealedChars = 5500;
}  // namespace

std::string fingerprint_topic(std::string_view branch, std::string_view door, std::string_view credential_id) {
  std::string t(kRoot);
  t.append(branch).append(kDoors).append(door).append(kFingerprints).append(credential_id);
  return t;
}

std::string fingerprint_filter(std::string_view branch) { return fingerprint_topic(branch, "+", "+"); }

std::optional<FingerprintTopic> parse_fingerprint_topic(std::string_view topic) {
  if (topic.substr(0, kRoot.size()) != kRoot) return std::nullopt;
  topic.remove_prefix(kRoot.size());
  auto doors = topic.find(kDoors);
  if (doors == std::string_view::npos) return std::nullopt;
  FingerprintTopic out{std::string(topic.substr(0, doors)), {}, {}};
  topic.remove_prefix(doors + kDoors.size());
  auto prints = topic.find(kFingerprints);
  if (prints == std::string_view::npos) return std::nullopt;
  out.door = std::string(topic.substr(0, prints));
  out.credential_id = std::string(topic.substr(prints + kFingerprints.size()));
  if (!is_valid_id(out.branch) || !is_valid_id(out.door) || !is_valid_id(out.credential_id)) return std::nullopt;
  return out;
}

std::string encode(const FingerprintTemplate& m) {
  nlohmann::ordered_json o;
  o["credential_id"] = m.credential_id;
  if (!m.finger.empty()) o["finger"] = m.finger;
  o["template"] = m.sealed;
  o["ts"] = m.ts;
  return o.dump();
}

Decoded<FingerprintTemplate> decode_fingerprint_template(std::string_view payload) {
  auto j = parse_payload(payload);
  if (!j) return Unexpected<Rejection>{j.error()};
  FieldReader r(*j);
  auto id = r.id("credential_id", Need::required);
  auto finger = r.text("finger", Need::optional, 32);
  auto sealed = r.text("template", Need::required, kMaxSealedChars);
  auto ts = r.timestamp("ts", Need::required);
  if (r.failed()) return Unexpected<Rejection>{r.rejection()};
  return FingerprintTemplate{*id, finger.value_or(""), *sealed, *ts};
}

}  // namespace spotter::protocol
