#include "keys.hpp"

#include "migrator.hpp"

#include <stdexcept>

#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud {
namespace {

Status add_keys(SqlDatabase& db, const Clock& clock) {
  const std::int64_t now = clock.now_ms();
  auto secret = crypto::random_bytes(32);
  auto a = db.execute("INSERT INTO signing_keys (kid, purpose, material, created_at) VALUES (?, 'access', ?, ?)",
                      {new_id("ka", now), hex_encode(secret), now});
  if (!a) return Unexpected<Error>{a.error()};
  auto qr = crypto::EcdsaP256PrivateKey::generate();
  auto q = db.execute("INSERT INTO signing_keys (kid, purpose, material, created_at) VALUES (?, 'qr', ?, ?)",
                      {new_id("kq", now), hex_encode(qr.scalar()), now});
  if (!q) return Unexpected<Error>{q.error()};
  return {};
}

}  // namespace

SigningKeys load_or_create_keys(SqlDatabase& db, const Clock& clock) {
  auto created = db.transaction([&]() -> Status {
    if (auto locked = lock_schema(db); !locked) return locked;
    auto count = db.query("SELECT COUNT(*) FROM signing_keys WHERE retired_at IS NULL");
    if (!count) return Unexpected<Error>{count.error()};
    return count->front().integer(0) == 0 ? add_keys(db, clock) : Status{};
  });
  if (!created) throw std::runtime_error("creating signing keys: " + created.error().message);
  auto rows = db.query("SELECT kid, purpose, material FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC");
  if (!rows) throw std::runtime_error("reading signing keys: " + rows.error().message);
  std::vector<jwt::Key> access, qr_signing, qr_public;
  std::vector<std::pair<std::string, crypto::Bytes>> qr_sec1;
  for (const auto& r : *rows) {
    auto material = hex_decode(r.text(2));
    if (!material) throw std::runtime_error("signing key " + r.text(0) + " is corrupt");
    if (r.text(1) == "access") {
      access.push_back(jwt::Key::hs256(r.text(0), *material));
    } else {
      auto key = crypto::EcdsaP256PrivateKey::from_scalar(*material);
      if (!key) throw std::runtime_error("signing key " + r.text(0) + " is corrupt");
      qr_signing.push_back(jwt::Key::es256_signing(r.text(0), *key));
      qr_public.push_back(jwt::Key::es256_verifying(r.text(0), key->public_key()));
      qr_sec1.emplace_back(r.text(0), key->public_key().to_sec1());
    }
  }
  if (access.empty() || qr_signing.empty()) throw std::runtime_error("signing keys missing");
  return SigningKeys{access.front(), access, qr_signing.front(), qr_public, qr_sec1};
}

Status rotate_keys(SqlDatabase& db, const Clock& clock) {
  return db.transaction([&]() -> Status {
    if (auto locked = lock_schema(db); !locked) return locked;
    // Keep the current key verifying for the tokens it signed; retire anything older.
    for (const char* purpose : {"access", "qr"}) {
      auto r = db.execute("UPDATE signing_keys SET retired_at = ? WHERE purpose = ? AND retired_at IS NULL AND kid NOT IN "
                          "(SELECT kid FROM signing_keys WHERE purpose = ? AND retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1)",
                          {clock.now_ms(), std::string(purpose), std::string(purpose)});
      if (!r) return Unexpected<Error>{r.error()};
    }
    return add_keys(db, clock);
  });
}

}  // namespace spotter::cloud
