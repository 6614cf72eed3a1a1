#pragma once
#include <string>
#include <string_view>

#include "spotter/common/crypto.hpp"
#include "spotter/common/result.hpp"

namespace spotter {

std::string hex_encode(crypto::ByteView bytes, bool upper = false);
Result<crypto::Bytes> hex_decode(std::string_view text);  // either case, even length

// RFC 4648 section 5, without padding (as JWS uses it). Decoding rejects padding,
// characters outside the alphabet and non-canonical trailing bits.
std::string base64url_encode(crypto::ByteView bytes);
Result<crypto::Bytes> base64url_decode(std::string_view text);
// Standard base64 (RFC 4648 section 4) with its '=' padding, as JSON APIs usually carry bytes.
std::string base64_encode(crypto::ByteView bytes);
Result<crypto::Bytes> base64_decode(std::string_view text);

}  // namespace spotter
