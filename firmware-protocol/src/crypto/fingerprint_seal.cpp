// Sealing fingerprint templates for one door (PROTOCOL.md 4.4), on the common crypto.
#include "spotter/common/encoding.hpp"
#include "spotter/protocol/fingerprint.hpp"

namespace spotter::protocol {

crypto::Bytes door_fingerprint_key(crypto::ByteView gateway_key, std::string_view door) {
  std::string label = "spotter/v1 fingerprint door ";
  label.append(door);
  auto digest = crypto::hmac_sha256(gateway_key, crypto::as_bytes(label));
  return crypto::Bytes(digest.begin(), digest.end());
}

Result<std::string> seal_template(crypto::ByteView door_key, std::string_view topic, crypto::ByteView template_bytes) {
  auto sealed = crypto::seal(door_key, template_bytes, crypto::as_bytes(topic));
  if (!sealed) return Unexpected<Error>{sealed.error()};
  return base64_encode(*sealed);
}

Result<crypto::Bytes> open_template(crypto::ByteView door_key, std::string_view topic, std::string_view sealed_base64) {
  auto raw = base64_decode(sealed_base64);
  if (!raw) return Unexpected<Error>{raw.error()};
  return crypto::open(door_key, *raw, crypto::as_bytes(topic));
}

}  // namespace spotter::protocol
