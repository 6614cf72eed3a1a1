// A cloud service in-process on port 0 with a manual clock and a fresh database (a SQLite
// file, or with SPOTTER_TEST_DB=postgresql a new database on the shared PostgreSQL), the
// bootstrap admin created by `spotter-cloud admin create`, and helpers that build the usual
// world (branches, plans, members, trainers, machines) through the public API.
#pragma once
#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>

#include "client.hpp"
#include "spotter/cloud/service.hpp"
#include "spotter/cloud/storage.hpp"
#include "spotter/testing/postgres.hpp"
#include "spotter/testing/process.hpp"

namespace spotter::testing {

// 2026-03-02 09:00 UTC, a Monday (10:00 in Madrid).
inline constexpr std::int64_t kMonday0900Utc = 1772442000000;
// The --fingerprint-key every test service runs with (test_config).
inline const std::vector<std::uint8_t> kTestFingerprintKey(32, 0x5A);
// The --secrets-key every test service runs with (test_config).
inline const std::vector<std::uint8_t> kTestSecretsKey(32, 0xA5);

// A notification's token as the delivery reads it: sealed with the secrets key, the kind and
// user as additional data (docs/cloud-service.md, "Secrets at rest"). Empty if it does not open.
std::string sealed_token(const Json& payload, const std::string& user_id, const std::string& kind,
                         const std::vector<std::uint8_t>& key = kTestSecretsKey);

// A fresh database for one test on the engine under test: "sqlite:DIR/NAME.db" or a new
// PostgreSQL database. open_database() opens the test's own connection to it.
std::string fresh_database_url(const TempDir& dir, const std::string& name = "cloud");
std::unique_ptr<cloud::SqlDatabase> open_database(const std::string& url);
void drop_database(const std::string& url);
// The settings every test service runs with: `clock`, no job thread (tests run jobs after
// moving the clock), fast password hashes, logs kept in memory.
cloud::ServiceConfig test_config(const std::string& db_url, ManualClock& clock, std::shared_ptr<MemoryLogSink> logs = std::make_shared<MemoryLogSink>(),
                                 const std::function<void(cloud::ServiceConfig&)>& tweak = nullptr);

inline Json all_day() {
  Json h = Json::object();
  for (const char* d : {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}) h[d] = Json::array({Json::array({"00:00", "24:00"})});
  return h;
}

struct Person {
  std::string id;
  std::string token;
  std::string email;
};

class TestCloud {
 public:
  explicit TestCloud(std::int64_t start_ms = kMonday0900Utc);
  // The same, with settings changed before the service starts.
  explicit TestCloud(const std::function<void(cloud::ServiceConfig&)>& tweak, std::int64_t start_ms = kMonday0900Utc);
  ~TestCloud();

  int port() const { return static_cast<int>(service->port()); }
  // One more instance of the service on the same database and clock (PostgreSQL: several
  // instances are one service), with settings changed by `tweak`.
  std::unique_ptr<cloud::Service> another_instance(const std::function<void(cloud::ServiceConfig&)>& tweak = nullptr);
  // Stops the service and starts it again on the same database; `http` follows it.
  void restart();
  HttpClient client() const { return HttpClient(port()); }
  const std::string& db_url() const { return db_url_; }
  // A connection of the test's own to the service's database, for looking at rows.
  cloud::SqlDatabase& db();

  std::string login(const std::string& email, const std::string& password);
  std::string branch(const std::string& name = "Centro", const Json& hours = all_day(), const std::string& tz = "Europe/Madrid");
  std::string plan(const std::vector<std::string>& branch_ids, int days = 30);
  // A member with a login; home branch and, with `plan_id`, a subscription.
  Person member(const std::string& email, const std::string& home_branch, const std::string& plan_id = "");
  Person trainer(const std::string& email, const std::vector<std::string>& branches);
  void machine(const std::string& branch_id, const std::string& machine_id, const std::string& category = "cardio",
               const std::string& type = "treadmill");
  // A gateway token for the branch (issued by the admin, exchanged for a token).
  std::string gateway_token(const std::string& branch_id);
  // A machine of the branch that its gateway has heard from (idle); returns the gateway's token.
  std::string heard_machine(const std::string& branch_id, const std::string& machine_id);
  std::int64_t count(const std::string& table);

  TempDir dir;
  std::string db_url_;
  ManualClock clock;
  std::shared_ptr<MemoryLogSink> logs = std::make_shared<MemoryLogSink>();
  std::unique_ptr<cloud::Service> service;
  HttpClient http;
  // The admin's access token, renewed when the manual clock has moved past its lifetime.
  const std::string& admin();
  static constexpr const char* kPassword = "Str0ng-Passw0rd!";

 private:
  std::unique_ptr<cloud::SqlDatabase> inspect_;
  std::string admin_token_;
  std::int64_t admin_login_ms_ = 0;
};

// The manual clock moves past access tokens' lifetime (15 min): sign in again.
inline const std::string& fresh(TestCloud& cloud, Person& who) {
  who.token = cloud.login(who.email, TestCloud::kPassword);
  return who.token;
}

// A visit of `minutes` through the app (the clock moves).
void visit(TestCloud& cloud, Person& who, const std::string& branch, int minutes);
// A training session with one leg press set of 10 x `weight`, completed.
void train(TestCloud& cloud, Person& who, double weight);

}  // namespace spotter::testing
