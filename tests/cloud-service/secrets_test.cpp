// Secrets at rest (--secrets-key): the signing keys in the database are sealed, so a dump or
// a backup of it alone cannot mint tokens; keys made before the key was given are sealed at
// the next start; the key itself is changed with `keys rewrap`. On both engines.
#include <sys/stat.h>

#include <fstream>

#include "fixture.hpp"
#include "spotter/cloud/service.hpp"
#include "spotter/common/encoding.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {

std::vector<std::string> stored_keys(TestCloud& cloud) {
  auto rows = cloud.db().query("SELECT material FROM signing_keys ORDER BY kid");
  REQUIRE(rows);
  std::vector<std::string> out;
  for (const auto& r : *rows) out.push_back(r.text(0));
  return out;
}

bool all_sealed(const std::vector<std::string>& keys) {
  for (const auto& k : keys)
    if (k.rfind("sealed:", 0) != 0) return false;
  return !keys.empty();
}

std::string key_file(const TempDir& dir, const std::string& name, std::uint8_t fill) {
  const auto path = (dir.path() / name).string();
  std::ofstream(path) << hex_encode(std::vector<std::uint8_t>(32, fill)) << "\n";
  ::chmod(path.c_str(), 0600);
  return path;
}

}  // namespace

TEST_CASE("secrets at rest: signing keys are sealed with --secrets-key; without it, or with another, the service does not start") {
  TestCloud cloud;
  const auto keys = stored_keys(cloud);
  CHECK(keys.size() == 2);  // access and QR
  CHECK(all_sealed(keys));
  auto ana = cloud.member("ana@gym.test", cloud.branch());
  CHECK(cloud.http.get("/api/auth/me", ana.token).status == 200);

  CHECK_THROWS_WITH_AS(cloud.another_instance([](cloud::ServiceConfig& c) { c.secrets_key.clear(); }),
                       doctest::Contains("--secrets-key"), std::exception);
  CHECK_THROWS_WITH_AS(cloud.another_instance([](cloud::ServiceConfig& c) { c.secrets_key.assign(32, 0x01); }),
                       doctest::Contains("does not open"), std::exception);
  // A rotation without the key would add keys in clear beside sealed ones: refused.
  CHECK(cloud::Main({"keys", "rotate", "--db", cloud.db_url()}) == 1);
  const auto key = key_file(cloud.dir, "secrets.key", 0xA5);
  CHECK(cloud::Main({"keys", "rotate", "--db", cloud.db_url(), "--secrets-key", key}) == 0);
  CHECK(stored_keys(cloud).size() == 4);
  CHECK(all_sealed(stored_keys(cloud)));
}

TEST_CASE("secrets at rest: keys made in clear are sealed at the first start with a key, and rewrapped to a new one; tokens keep working") {
  TestCloud cloud([](cloud::ServiceConfig& c) { c.secrets_key.clear(); });
  CHECK_FALSE(all_sealed(stored_keys(cloud)));
  auto ana = cloud.member("ana@gym.test", cloud.branch());
  const auto clear = stored_keys(cloud);

  // The first start with a key seals what is there; a token signed before still verifies.
  cloud.restart();  // test_config's key
  const auto sealed = stored_keys(cloud);
  CHECK(all_sealed(sealed));
  for (const auto& k : sealed)
    for (const auto& c : clear) CHECK(k.find(c) == std::string::npos);
  CHECK(cloud.http.get("/api/auth/me", ana.token).status == 200);

  // A new secrets key: rewrap, then only the new key starts the service.
  const auto old_key = key_file(cloud.dir, "old.key", 0xA5);
  const auto new_key = key_file(cloud.dir, "new.key", 0x3C);
  CHECK(cloud::Main({"keys", "rewrap", "--db", cloud.db_url(), "--secrets-key", new_key, "--new-secrets-key", old_key}) == 1);  // wrong old key
  CHECK(stored_keys(cloud) == sealed);  // nothing half-done
  CHECK(cloud::Main({"keys", "rewrap", "--db", cloud.db_url(), "--secrets-key", old_key, "--new-secrets-key", new_key}) == 0);
  CHECK(all_sealed(stored_keys(cloud)));
  CHECK_THROWS(cloud.another_instance());  // the old key opens nothing now
  auto next = cloud.another_instance([](cloud::ServiceConfig& c) { c.secrets_key.assign(32, 0x3C); });
  HttpClient http(static_cast<int>(next->port()));
  CHECK(http.get("/api/auth/me", ana.token).status == 200);
  // A key file others can read is refused before anything is touched.
  ::chmod(new_key.c_str(), 0644);
  CHECK(cloud::Main({"keys", "rotate", "--db", cloud.db_url(), "--secrets-key", new_key}) != 0);
}
