// Signing keys live in the database (table signing_keys): an HS256 secret for access and
// gateway tokens, an ES256 key pair for access QR codes (gateways hold only the public half).
// The newest key of each purpose signs; every unretired key verifies, so `spotter-cloud keys
// rotate` lets tokens signed a moment ago keep working until they expire.
#pragma once
#include "../platform/platform.hpp"

namespace spotter::cloud {

// With a secrets key (32 bytes, --secrets-key) the key material is sealed with AES-256-GCM,
// the key id as additional data ("sealed:" + base64url); without, it is hex. A database
// dump alone then signs nothing.

// Creates the first keys on an empty database (once, however many instances start at once),
// and seals keys still in clear when a secrets key is given. Throws at startup on storage
// failure, on sealed keys without a secrets key, or on a secrets key that opens none.
SigningKeys load_or_create_keys(SqlDatabase& db, const Clock& clock, const std::vector<std::uint8_t>& secrets_key);
// Adds a new key of each purpose and retires keys older than the previous one.
Status rotate_keys(SqlDatabase& db, const Clock& clock, const std::vector<std::uint8_t>& secrets_key);
// Seals every signing key under `new_key` (empty: in clear) instead of `old_key` (empty: they
// are in clear now), in one transaction: how the secrets key itself is changed.
Status rewrap_keys(SqlDatabase& db, const std::vector<std::uint8_t>& old_key, const std::vector<std::uint8_t>& new_key);

}  // namespace spotter::cloud
