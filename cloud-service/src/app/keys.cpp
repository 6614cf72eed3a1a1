#include "keys.hpp"

#include "migrator.hpp"

#include <stdexcept>

#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud {
namespace {

using Key = std::vector<std::uint8_t>;
constexpr std::string_view kSealed = "sealed:";

std::string aad_of(const std::string& kid) { return "spotter signing key " + kid; }

// The stored form of a key's material.
Result<std::string> wrap(const Key& secrets_key, const std::string& kid, crypto::ByteView material) {
  if (secrets_key.empty()) return hex_encode(material);
  auto sealed = crypto::seal(secrets_key, material, crypto::as_bytes(aad_of(kid)));
  if (!sealed) return Unexpected<Error>{sealed.error()};
  return std::string(kSealed) + base64url_encode(*sealed);
}

// The material of a stored key. Errors name the key, never its material.
Result<crypto::Bytes> unwrap(const Key& secrets_key, const std::string& kid, const std::string& stored) {
  if (stored.rfind(kSealed, 0) != 0) {
    auto clear = hex_decode(stored);
    if (!clear) return fail("corrupt", "signing key " + kid + " is corrupt");
    return *clear;
  }
  if (secrets_key.empty()) return fail("sealed", "signing key " + kid + " is sealed: start with --secrets-key");
  auto sealed = base64url_decode(std::string_view(stored).substr(kSealed.size()));
  if (!sealed) return fail("corrupt", "signing key " + kid + " is corrupt");
  auto opened = crypto::open(secrets_key, *sealed, crypto::as_bytes(aad_of(kid)));
  if (!opened) return fail("wrong_key", "the secrets key does not open signing key " + kid + " (another --secrets-key?)");
  return *opened;
}

Status add_key(SqlDatabase& db, const Key& secrets_key, const std::string& kid, const char* purpose, crypto::ByteView material, std::int64_t now) {
  auto stored = wrap(secrets_key, kid, material);
  if (!stored) return Unexpected<Error>{stored.error()};
  auto r = db.execute("INSERT INTO signing_keys (kid, purpose, material, created_at) VALUES (?, ?, ?, ?)", {kid, std::string(purpose), *stored, now});
  if (!r) return Unexpected<Error>{r.error()};
  return {};
}

Status add_keys(SqlDatabase& db, const Clock& clock, const Key& secrets_key) {
  const std::int64_t now = clock.now_ms();
  auto secret = crypto::random_bytes(32);
  if (auto a = add_key(db, secrets_key, new_id("ka", now), "access", secret, now); !a) return a;
  auto qr = crypto::EcdsaP256PrivateKey::generate();
  const auto scalar = qr.scalar();
  return add_key(db, secrets_key, new_id("kq", now), "qr", crypto::ByteView(scalar.data(), scalar.size()), now);
}

// Every key (retired ones too: a dump must not sign with those either) stored again under
// `new_key`. Inside the caller's transaction.
Status rewrap_all(SqlDatabase& db, const Key& old_key, const Key& new_key, bool only_clear) {
  auto rows = db.query("SELECT kid, material FROM signing_keys ORDER BY kid");
  if (!rows) return Unexpected<Error>{rows.error()};
  for (const auto& r : *rows) {
    if (only_clear && r.text(1).rfind(kSealed, 0) == 0) continue;
    auto material = unwrap(old_key, r.text(0), r.text(1));
    if (!material) return Unexpected<Error>{material.error()};
    auto stored = wrap(new_key, r.text(0), *material);
    if (!stored) return Unexpected<Error>{stored.error()};
    auto u = db.execute("UPDATE signing_keys SET material = ? WHERE kid = ?", {*stored, r.text(0)});
    if (!u) return Unexpected<Error>{u.error()};
  }
  return {};
}

}  // namespace

SigningKeys load_or_create_keys(SqlDatabase& db, const Clock& clock, const Key& secrets_key) {
  auto created = db.transaction([&]() -> Status {
    if (auto locked = lock_schema(db); !locked) return locked;
    auto count = db.query("SELECT COUNT(*) FROM signing_keys WHERE retired_at IS NULL");
    if (!count) return Unexpected<Error>{count.error()};
    if (count->front().integer(0) == 0) return add_keys(db, clock, secrets_key);
    // Keys made before a secrets key was given are sealed now.
    return secrets_key.empty() ? Status{} : rewrap_all(db, {}, secrets_key, /*only_clear=*/true);
  });
  if (!created) throw std::runtime_error("creating signing keys: " + created.error().message);
  auto rows = db.query("SELECT kid, purpose, material FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC");
  if (!rows) throw std::runtime_error("reading signing keys: " + rows.error().message);
  std::vector<jwt::Key> access, qr_signing, qr_public;
  std::vector<std::pair<std::string, crypto::Bytes>> qr_sec1;
  for (const auto& r : *rows) {
    auto material = unwrap(secrets_key, r.text(0), r.text(2));
    if (!material) throw std::runtime_error(material.error().message);
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

Status rotate_keys(SqlDatabase& db, const Clock& clock, const Key& secrets_key) {
  return db.transaction([&]() -> Status {
    if (auto locked = lock_schema(db); !locked) return locked;
    // The new keys are stored as the others are: sealed keys need the key that opens them.
    auto rows = db.query("SELECT kid, material FROM signing_keys WHERE retired_at IS NULL");
    if (!rows) return Unexpected<Error>{rows.error()};
    for (const auto& r : *rows) {
      if (auto opened = unwrap(secrets_key, r.text(0), r.text(1)); !opened) return Unexpected<Error>{opened.error()};
      if (!secrets_key.empty() && r.text(1).rfind(kSealed, 0) != 0) return fail("clear", "signing key " + r.text(0) + " is in clear: start spotter-cloud serve with this --secrets-key once first (it seals them), or use keys rewrap");
    }
    // Keep the current key verifying for the tokens it signed; retire anything older.
    for (const char* purpose : {"access", "qr"}) {
      auto r = db.execute("UPDATE signing_keys SET retired_at = ? WHERE purpose = ? AND retired_at IS NULL AND kid NOT IN "
                          "(SELECT kid FROM signing_keys WHERE purpose = ? AND retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1)",
                          {clock.now_ms(), std::string(purpose), std::string(purpose)});
      if (!r) return Unexpected<Error>{r.error()};
    }
    return add_keys(db, clock, secrets_key);
  });
}

Status rewrap_keys(SqlDatabase& db, const Key& old_key, const Key& new_key) {
  return db.transaction([&]() -> Status {
    if (auto locked = lock_schema(db); !locked) return locked;
    return rewrap_all(db, old_key, new_key, /*only_clear=*/false);
  });
}

}  // namespace spotter::cloud
