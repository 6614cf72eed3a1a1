#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>

#include <mutex>
#include <stdexcept>

#include "spotter/common/crypto.hpp"
#include "drbg.hpp"

namespace spotter::crypto {

// The group caches precomputed tables on first use, so concurrent use of one key pair
// would race inside mbedTLS: every operation holds the key's mutex.
struct KeyPair {
  mutable std::mutex mu;
  mbedtls_ecp_keypair kp;
  KeyPair() {
    mbedtls_ecp_keypair_init(&kp);
    if (mbedtls_ecp_group_load(&kp.grp, MBEDTLS_ECP_DP_SECP256R1) != 0) {
      throw std::runtime_error("P-256 unavailable in mbedTLS");
    }
  }
  ~KeyPair() { mbedtls_ecp_keypair_free(&kp); }
  KeyPair(const KeyPair&) = delete;
  KeyPair& operator=(const KeyPair&) = delete;
};

struct EcdsaP256PublicKey::Impl : KeyPair {};
struct EcdsaP256PrivateKey::Impl : KeyPair {};

namespace {
struct Mpi {
  mbedtls_mpi v;
  Mpi() { mbedtls_mpi_init(&v); }
  ~Mpi() { mbedtls_mpi_free(&v); }
  Mpi(const Mpi&) = delete;
  Mpi& operator=(const Mpi&) = delete;
};

Bytes point_to_sec1(const mbedtls_ecp_group& grp, const mbedtls_ecp_point& q) {
  Bytes out(65);
  std::size_t len = 0;
  if (mbedtls_ecp_point_write_binary(&grp, &q, MBEDTLS_ECP_PF_UNCOMPRESSED, &len, out.data(), out.size()) != 0) {
    throw std::logic_error("cannot encode P-256 point");
  }
  out.resize(len);
  return out;
}
}  // namespace

Result<EcdsaP256PublicKey> EcdsaP256PublicKey::from_sec1(ByteView point) {
  if (point.size() != 65 || point[0] != 0x04) return fail("bad_key", "expected a 65-byte uncompressed P-256 point");
  auto impl = std::make_shared<Impl>();
  if (mbedtls_ecp_point_read_binary(&impl->kp.grp, &impl->kp.Q, point.data(), point.size()) != 0 ||
      mbedtls_ecp_check_pubkey(&impl->kp.grp, &impl->kp.Q) != 0) {
    return fail("bad_key", "not a point on P-256");
  }
  return EcdsaP256PublicKey(std::move(impl));
}

Bytes EcdsaP256PublicKey::to_sec1() const {
  std::lock_guard lock(impl_->mu);
  return point_to_sec1(impl_->kp.grp, impl_->kp.Q);
}

bool EcdsaP256PublicKey::verify(ByteView message, ByteView signature) const {
  if (signature.size() != 64) return false;
  Digest h = sha256(message);
  Mpi r, s;
  if (mbedtls_mpi_read_binary(&r.v, signature.data(), 32) != 0 ||
      mbedtls_mpi_read_binary(&s.v, signature.data() + 32, 32) != 0) {
    return false;
  }
  std::lock_guard lock(impl_->mu);
  return mbedtls_ecdsa_verify(&impl_->kp.grp, h.data(), h.size(), &impl_->kp.Q, &r.v, &s.v) == 0;
}

EcdsaP256PrivateKey EcdsaP256PrivateKey::generate() {
  auto impl = std::make_shared<Impl>();
  if (mbedtls_ecp_gen_keypair(&impl->kp.grp, &impl->kp.d, &impl->kp.Q, drbg_random, nullptr) != 0) {
    throw std::runtime_error("P-256 key generation failed");
  }
  return EcdsaP256PrivateKey(std::move(impl));
}

Result<EcdsaP256PrivateKey> EcdsaP256PrivateKey::from_scalar(ByteView d) {
  if (d.size() != 32) return fail("bad_key", "expected a 32-byte P-256 private scalar");
  auto impl = std::make_shared<Impl>();
  auto& kp = impl->kp;
  if (mbedtls_mpi_read_binary(&kp.d, d.data(), d.size()) != 0 || mbedtls_ecp_check_privkey(&kp.grp, &kp.d) != 0) {
    return fail("bad_key", "scalar out of range for P-256");
  }
  if (mbedtls_ecp_mul(&kp.grp, &kp.Q, &kp.d, &kp.grp.G, drbg_random, nullptr) != 0) {
    return fail("bad_key", "cannot derive the public key");
  }
  return EcdsaP256PrivateKey(std::move(impl));
}

Bytes EcdsaP256PrivateKey::scalar() const {
  Bytes out(32);
  std::lock_guard lock(impl_->mu);
  if (mbedtls_mpi_write_binary(&impl_->kp.d, out.data(), out.size()) != 0) throw std::logic_error("scalar");
  return out;
}

EcdsaP256PublicKey EcdsaP256PrivateKey::public_key() const {
  Bytes q;
  {
    std::lock_guard lock(impl_->mu);
    q = point_to_sec1(impl_->kp.grp, impl_->kp.Q);
  }
  auto pub = EcdsaP256PublicKey::from_sec1(q);
  if (!pub) throw std::logic_error("derived public key invalid");
  return std::move(pub).value();
}

Bytes EcdsaP256PrivateKey::sign(ByteView message) const {
  Digest h = sha256(message);
  Mpi r, s;
  std::lock_guard lock(impl_->mu);
  if (mbedtls_ecdsa_sign_det_ext(&impl_->kp.grp, &r.v, &s.v, &impl_->kp.d, h.data(), h.size(),
                                 MBEDTLS_MD_SHA256, drbg_random, nullptr) != 0) {
    throw std::runtime_error("ECDSA signing failed");
  }
  Bytes out(64);
  if (mbedtls_mpi_write_binary(&r.v, out.data(), 32) != 0 || mbedtls_mpi_write_binary(&s.v, out.data() + 32, 32) != 0) {
    throw std::logic_error("ECDSA signature encoding failed");
  }
  return out;
}

}  // namespace spotter::crypto
