#include "fixture.hpp"

#include "adapters/postgres/pg_database.hpp"
#include "adapters/sqlite/sqlite_database.hpp"
#include "spotter/common/crypto.hpp"
#include "spotter/common/encoding.hpp"

namespace spotter::testing {

std::string fresh_database_url(const TempDir& dir, const std::string& name) {
  if (testing_on_postgres()) return shared_postgres().create_database();
  return "sqlite:" + (dir.path() / (name + ".db")).string();
}

std::unique_ptr<cloud::SqlDatabase> open_database(const std::string& url) {
  if (url.rfind("sqlite:", 0) == 0) return cloud::SqliteDatabase::open(url.substr(7));
  return cloud::PostgresDatabase::connect(url, {});
}

void drop_database(const std::string& url) {
  if (url.rfind("postgresql:", 0) == 0) shared_postgres().drop_database(url);
}

cloud::ServiceConfig test_config(const std::string& db_url, ManualClock& clock, std::shared_ptr<MemoryLogSink> logs,
                                 const std::function<void(cloud::ServiceConfig&)>& tweak) {
  cloud::ServiceConfig c;
  c.db_url = db_url;
  c.clock = &clock;
  c.run_job_thread = false;  // tests run jobs explicitly, after moving the clock
  c.argon2_memory_kib = 1024;  // fast hashes in tests; production keeps the OWASP minimum
  c.argon2_passes = 1;
  c.log_sink = std::move(logs);
  c.log_level = LogLevel::warn;
  c.fingerprint_key = kTestFingerprintKey;
  c.secrets_key = kTestSecretsKey;
  if (tweak) tweak(c);
  return c;
}

namespace {
std::unique_ptr<cloud::Service> start_service(const std::string& db_url, ManualClock& clock, std::shared_ptr<MemoryLogSink> logs,
                                              const std::function<void(cloud::ServiceConfig&)>& tweak) {
  const int rc = cloud::Main({"admin", "create", "--db", db_url, "--email", "admin@gym.test", "--password", TestCloud::kPassword});
  REQUIRE(rc == 0);
  return cloud::Service::start(test_config(db_url, clock, std::move(logs), tweak));
}
}  // namespace

void TestCloud::restart() {
  service.reset();
  service = another_instance();
  http.retarget(port());
}

std::unique_ptr<cloud::Service> TestCloud::another_instance(const std::function<void(cloud::ServiceConfig&)>& tweak) {
  return cloud::Service::start(test_config(db_url_, clock, logs, tweak));
}

TestCloud::TestCloud(std::int64_t start_ms) : TestCloud(nullptr, start_ms) {}

std::string sealed_token(const Json& payload, const std::string& user_id, const std::string& kind, const std::vector<std::uint8_t>& key) {
  if (!payload.contains("token_sealed") || !payload["token_sealed"].is_string()) return "";
  auto bytes = base64url_decode(payload["token_sealed"].get<std::string>());
  if (!bytes) return "";
  auto opened = crypto::open(key, *bytes, crypto::as_bytes("spotter notification token\n" + kind + "\n" + user_id));
  return opened ? std::string(crypto::as_text(*opened)) : "";
}

TestCloud::TestCloud(const std::function<void(cloud::ServiceConfig&)>& tweak, std::int64_t start_ms)
    : db_url_(fresh_database_url(dir)), clock(start_ms), service(start_service(db_url_, clock, logs, tweak)), http(port()) {}

const std::string& TestCloud::admin() {
  if (admin_token_.empty() || clock.now_ms() - admin_login_ms_ > 10 * 60 * 1000) {
    admin_token_ = login("admin@gym.test", kPassword);
    admin_login_ms_ = clock.now_ms();
  }
  return admin_token_;
}

TestCloud::~TestCloud() {
  service.reset();
  inspect_.reset();
  drop_database(db_url_);
}

cloud::SqlDatabase& TestCloud::db() {
  if (!inspect_) inspect_ = open_database(db_url_);
  return *inspect_;
}

std::string TestCloud::login(const std::string& email, const std::string& password) {
  auto r = http.post("/api/auth/login", {{"email", email}, {"password", password}});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  return r.json["access_token"].get<std::string>();
}

std::string TestCloud::branch(const std::string& name, const Json& hours, const std::string& tz) {
  auto r = http.post("/api/branches", {{"name", name}, {"timezone", tz}, {"opening_hours", hours}}, admin());
  REQUIRE_MESSAGE(r.status == 201, r.body);
  return r.json["id"].get<std::string>();
}

std::string TestCloud::plan(const std::vector<std::string>& branch_ids, int days) {
  auto r = http.post("/api/membership-plans", {{"name", "Plan"}, {"price_cents", 2999}, {"duration_days", days}, {"branch_ids", branch_ids}}, admin());
  REQUIRE_MESSAGE(r.status == 201, r.body);
  return r.json["id"].get<std::string>();
}

Person TestCloud::member(const std::string& email, const std::string& home_branch, const std::string& plan_id) {
  auto r = http.post("/api/users", {{"email", email}, {"full_name", "Member " + email}, {"role", "member"}, {"password", kPassword},
                                    {"home_branch_id", home_branch}}, admin());
  REQUIRE_MESSAGE(r.status == 201, r.body);
  Person p{r.json["id"].get<std::string>(), "", email};
  if (!plan_id.empty()) {
    auto s = http.post("/api/subscriptions", {{"user_id", p.id}, {"plan_id", plan_id}}, admin());
    REQUIRE_MESSAGE(s.status == 201, s.body);
  }
  p.token = login(email, kPassword);
  return p;
}

Person TestCloud::trainer(const std::string& email, const std::vector<std::string>& branches) {
  auto r = http.post("/api/users", {{"email", email}, {"full_name", "Trainer"}, {"role", "trainer"}, {"password", kPassword},
                                    {"branch_ids", branches}}, admin());
  REQUIRE_MESSAGE(r.status == 201, r.body);
  return Person{r.json["id"].get<std::string>(), login(email, kPassword), email};
}

void TestCloud::machine(const std::string& branch_id, const std::string& machine_id, const std::string& category, const std::string& type) {
  auto r = http.post("/api/machines", {{"branch_id", branch_id}, {"machine_id", machine_id}, {"name", machine_id}, {"category", category}, {"type", type}}, admin());
  REQUIRE_MESSAGE(r.status == 201, r.body);
}

std::string TestCloud::gateway_token(const std::string& branch_id) {
  auto g = http.post("/api/gateways", {{"branch_id", branch_id}, {"name", "gw"}}, admin());
  REQUIRE_MESSAGE(g.status == 201, g.body);
  auto t = http.post("/api/gateways/token", {{"gateway_id", g.json["gateway_id"]}, {"secret", g.json["secret"]}});
  REQUIRE_MESSAGE(t.status == 200, t.body);
  return t.json["access_token"].get<std::string>();
}

std::int64_t TestCloud::count(const std::string& table) {
  auto rows = db().query("SELECT COUNT(*) FROM " + table);
  REQUIRE_MESSAGE(rows, rows.error().message);
  return rows->front().integer(0);
}

std::string TestCloud::heard_machine(const std::string& branch_id, const std::string& machine_id) {
  machine(branch_id, machine_id);
  auto token = gateway_token(branch_id);
  auto beat = http.post("/api/machines/heartbeat", {{"machine_id", machine_id}}, token);
  if (beat.status != 200) throw std::runtime_error("heartbeat for " + machine_id + ": " + std::to_string(beat.status));
  return token;
}

void visit(TestCloud& cloud, Person& who, const std::string& branch, int minutes) {
  REQUIRE(cloud.http.post("/api/sessions/start", {{"branch_id", branch}}, fresh(cloud, who)).status == 201);
  cloud.clock.advance(std::chrono::minutes(minutes));
  REQUIRE(cloud.http.post("/api/sessions/end", Json::object(), fresh(cloud, who)).status == 200);
}

void train(TestCloud& cloud, Person& who, double weight) {
  fresh(cloud, who);
  Json day = {{"name", "Legs"}, {"exercises", {{{"exercise_id", "leg_press"}, {"sets", {{{"reps", 10}, {"weight_kg", weight}}}}}}}};
  auto plan = cloud.http.post("/api/workout-plans", {{"name", "Legs"}, {"days", {day}}}, who.token);
  REQUIRE(plan.status == 201);
  auto s = cloud.http.post("/api/training-sessions", {{"plan_id", plan.json["id"]}, {"day", 0}}, who.token);
  REQUIRE(s.status == 201);
  Json entries = {{{"exercise_id", "leg_press"}, {"set_index", 1}, {"reps", 10}, {"weight_kg", weight}, {"done", true}}};
  REQUIRE(cloud.http.post("/api/training-sessions/" + s.json["id"].get<std::string>() + "/complete", {{"entries", entries}}, who.token).status == 200);
}

}  // namespace spotter::testing
