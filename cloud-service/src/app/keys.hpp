// Signing keys live in the database (table signing_keys): an HS256 secret for access and
// gateway tokens, an ES256 key pair for access QR codes (gateways hold only the public half).
// The newest key of each purpose signs; every unretired key verifies, so `spotter-cloud keys
// rotate` lets tokens signed a moment ago keep working until they expire.
#pragma once
#include "../platform/platform.hpp"

namespace spotter::cloud {

// Creates the first keys on an empty database (once, however many instances start at once).
// Throws at startup on storage failure.
SigningKeys load_or_create_keys(SqlDatabase& db, const Clock& clock);
// Adds a new key of each purpose and retires keys older than the previous one.
Status rotate_keys(SqlDatabase& db, const Clock& clock);

}  // namespace spotter::cloud
