#pragma once
// Fingerprint templates to door readers (PROTOCOL.md 4.4, an extension additive in v1).
// Each enrolled fingerprint a door's reader should match is one retained message on
//   spotter/v1/{branch}/doors/{door}/fingerprints/{credential_id}
// with the template sealed (AES-256-GCM) under that door's own key; an empty retained
// message on the same topic takes the template back. The codec and topics are pure (core);
// sealing is in the crypto part below, which links the common crypto.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spotter/common/crypto.hpp"
#include "spotter/common/result.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::protocol {

struct FingerprintTemplate {
  std::string credential_id;
  std::string finger;  // e.g. right_index; may be empty
  std::string sealed;  // base64 of nonce || ciphertext || tag
  std::int64_t ts = 0;
  friend bool operator==(const FingerprintTemplate&, const FingerprintTemplate&) = default;
};

std::string fingerprint_topic(std::string_view branch, std::string_view door, std::string_view credential_id);
// "spotter/v1/{branch}/doors/+/fingerprints/+": what the gateway watches to know what the
// broker holds for each reader.
std::string fingerprint_filter(std::string_view branch);
struct FingerprintTopic {
  std::string branch, door, credential_id;
};
// nullopt unless `topic` is a well-formed fingerprint topic.
std::optional<FingerprintTopic> parse_fingerprint_topic(std::string_view topic);

std::string encode(const FingerprintTemplate& m);
Decoded<FingerprintTemplate> decode_fingerprint_template(std::string_view payload);

// --- sealing (spotter_protocol_crypto) ---
// A door's key: HMAC-SHA256(gateway key, "spotter/v1 fingerprint door " + door). The gateway
// key is the gateway's own (one per branch); the technician provisions the door's key into
// its reader (`spotter-edge door-key --door DOOR`).
crypto::Bytes door_fingerprint_key(crypto::ByteView gateway_key, std::string_view door);
// The topic is the additional data, so a sealed template cannot be replayed to another door
// or under another credential id.
Result<std::string> seal_template(crypto::ByteView door_key, std::string_view topic, crypto::ByteView template_bytes);
Result<crypto::Bytes> open_template(crypto::ByteView door_key, std::string_view topic, std::string_view sealed_base64);

}  // namespace spotter::protocol
