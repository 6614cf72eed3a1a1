// The front-desk page in a real browser (Debian's chromium, headless, driven over the
// DevTools protocol): sign in as staff, check a member in by card as a card reader does,
// sell two products, and read the totals back through the API. Screenshots go to
// ./screenshots/desk/ (under build/tests/system/ when run by ctest).
#include <signal.h>

#include <cstdlib>

#include "cdp.hpp"

using namespace spotter;
using namespace spotter::testing;
using namespace std::chrono_literals;

namespace {
constexpr const char* kPassword = "Str0ng-Passw0rd!";

std::filesystem::path screenshots() {
  const char* dir = std::getenv("SPOTTER_SCREENSHOTS");
  return dir ? std::filesystem::path(dir) : std::filesystem::current_path() / "screenshots" / "desk";
}

struct Gym {
  TempDir dir;
  std::unique_ptr<ChildProcess> cloud;
  int port = 0;
  std::unique_ptr<HttpClient> http;
  std::string admin, branch, ana, water, bar;

  Gym() {
    const std::string db = "sqlite:" + (dir.path() / "cloud.db").string();
    ChildProcess create({bin("spotter-cloud"), "admin", "create", "--db", db, "--email", "admin@gym.test", "--password", kPassword}, dir.path());
    REQUIRE(create.wait(30s) == 0);
    cloud = std::make_unique<ChildProcess>(std::vector<std::string>{bin("spotter-cloud"), "serve", "--listen", "127.0.0.1:0", "--db", db}, dir.path());
    port = logged_port(*cloud);
    REQUIRE(port > 0);
    http = std::make_unique<HttpClient>(port);
    admin = login("admin@gym.test");
    Json hours = Json::object();
    for (const char* d : {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}) hours[d] = Json::array({Json::array({"00:00", "24:00"})});
    branch = post("/api/branches", {{"name", "Centro"}, {"timezone", "Europe/Madrid"}, {"opening_hours", hours}})["id"];
    post("/api/users", {{"email", "desk@gym.test"}, {"full_name", "Dani Desk"}, {"role", "trainer"}, {"password", kPassword}, {"branch_ids", {branch}}});
    auto plan = post("/api/membership-plans", {{"name", "Monthly"}, {"price_cents", 3000}, {"duration_days", 30}, {"branch_ids", {branch}}})["id"];
    ana = post("/api/users", {{"email", "ana@gym.test"}, {"full_name", "Ana García"}, {"role", "member"}, {"password", kPassword}, {"home_branch_id", branch}})["id"];
    post("/api/subscriptions", {{"user_id", ana}, {"plan_id", plan}});
    post("/api/users/" + ana + "/credentials", {{"kind", "nfc"}, {"uid", "04A1B2C3"}});
    water = post("/api/products", {{"branch_id", branch}, {"name", "Water 50 cl"}, {"sku", "W50"}, {"price_cents", 150}, {"stock", 10}})["id"];
    bar = post("/api/products", {{"branch_id", branch}, {"name", "Protein bar"}, {"sku", "PB1"}, {"price_cents", 250}, {"stock", 5}})["id"];
    post("/api/machines", {{"branch_id", branch}, {"machine_id", "tm-1"}, {"name", "Treadmill 1"}, {"category", "cardio"}, {"type", "treadmill"}});
  }
  ~Gym() {
    if (cloud) {
      cloud->signal(SIGTERM);
      (void)cloud->wait(15s);
    }
  }
  std::string login(const std::string& email) {
    auto r = http->post("/api/auth/login", {{"email", email}, {"password", kPassword}});
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return r.json["access_token"];
  }
  Json post(const std::string& target, const Json& body) {
    auto r = http->post(target, body, admin);
    REQUIRE_MESSAGE(r.status / 100 == 2, target, " ", r.body);
    return r.json;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/desk/"; }
};

std::string text_of(const std::string& id) { return "document.getElementById('" + id + "').textContent"; }
}  // namespace

TEST_CASE("the desk page is served from the program, kept to its own origin") {
  Gym gym;
  auto page = gym.http->get("/desk/");
  REQUIRE(page.status == 200);
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  CHECK(page.header("content-security-policy").find("default-src 'self'") != std::string::npos);
  CHECK(page.header("content-security-policy").find("frame-ancestors 'none'") != std::string::npos);
  CHECK(page.header("x-content-type-options") == "nosniff");
  CHECK(page.body.find("<script type=\"module\" src=\"app.js\">") != std::string::npos);
  CHECK(gym.http->get("/desk/app.js").header("content-type") == "text/javascript; charset=utf-8");
  CHECK(gym.http->get("/desk/desk.css").header("content-type") == "text/css; charset=utf-8");
  auto bare = gym.http->get("/desk");
  CHECK(bare.status == 308);
  CHECK(bare.header("location") == "/desk/");
  CHECK(gym.http->get("/desk/secret.txt").status == 404);
  CHECK(gym.http->get("/desk/..%2Fcloud.db").status == 404);
}

TEST_CASE("at the desk in a real browser: sign in, check a member in by card, sell two products, today's totals agree with the API") {
  Gym gym;
  Browser browser(gym.dir.path(), 1366, 768);
  browser.go(gym.url());
  REQUIRE(browser.wait_for("document.activeElement && document.activeElement.id === 'email'"));

  // Signing in with the keyboard alone.
  browser.type("desk@gym.test");
  browser.eval("document.getElementById('password').focus()");
  browser.type(kPassword);
  browser.press_enter();
  REQUIRE(browser.wait_for("!document.getElementById('desk').hidden && document.querySelectorAll('#products button').length === 2"));
  CHECK(browser.eval(text_of("who")) == "Dani Desk");
  CHECK(browser.eval("document.getElementById('branch').value") == gym.branch);
  CHECK(browser.wait_for("document.querySelector('#machines li[data-machine=\"tm-1\"]') !== null"));
  // The search box has the focus: a card reader can type at once.
  CHECK(browser.eval("document.activeElement.id") == "find");
  browser.screenshot(screenshots() / "1-signed-in-1366x768.png");

  // A card reader types the UID and Enter.
  browser.type("04a1b2c3");
  browser.press_enter();
  REQUIRE(browser.wait_for(text_of("checkin-message") + ".includes('Ana García checked in')"));
  CHECK(browser.wait_for(text_of("inside-count") + " === '1'"));
  CHECK(browser.eval(text_of("inside") + ".includes('Ana García')") == true);
  auto visits = gym.http->get("/api/attendance/daily?branch_id=" + gym.branch, gym.admin);
  REQUIRE(visits.json["visits"].size() == 1);
  CHECK(visits.json["visits"][0]["user_id"] == gym.ana);
  CHECK(visits.json["visits"][0]["ended_at"].is_null());
  // The same card again: she is inside already, and the desk says so.
  browser.type("04A1B2C3");
  browser.press_enter();
  CHECK(browser.wait_for(text_of("checkin-message") + ".toLowerCase().includes('already')"));
  // An unknown card.
  browser.type("04FFFFFF");
  browser.press_enter();
  CHECK(browser.wait_for(text_of("checkin-message") + " === 'Unknown card.'"));
  // By name, with accents left out.
  browser.eval("document.getElementById('find').value = ''");
  browser.type("garcia");
  browser.press_enter();
  CHECK(browser.wait_for("document.querySelectorAll('#results li').length === 1"));

  // Two products, one of them twice, paid in cash.
  browser.eval("document.querySelector('#products button[data-product=\"" + gym.water + "\"]').click()");
  browser.eval("document.querySelector('#products button[data-product=\"" + gym.water + "\"]').click()");
  browser.eval("document.querySelector('#products button[data-product=\"" + gym.bar + "\"]').click()");
  CHECK(browser.wait_for("document.querySelectorAll('#cart tr').length === 2"));
  browser.eval("const p = document.getElementById('payment'); p.value = 'cash'; p.dispatchEvent(new Event('change'))");
  browser.eval("document.getElementById('sell').click()");
  REQUIRE(browser.wait_for("!document.getElementById('receipt').hidden"));
  CHECK(browser.eval(text_of("sale-message") + ".startsWith('✓ Sold')") == true);
  CHECK(browser.eval("document.querySelectorAll('#receipt-lines tr').length") == 2);
  CHECK(browser.wait_for(text_of("sales-count") + " === '1'"));
  CHECK(browser.wait_for(text_of("visits") + " === '1'"));

  // The totals through the API: one sale of 2 x 1.50 + 2.50, cash; the stock went down.
  auto summary = gym.http->get("/api/sales/summary?branch_id=" + gym.branch, gym.admin);
  REQUIRE(summary.status == 200);
  CHECK(summary.json["count"] == 1);
  CHECK(summary.json["total_cents"] == 550);
  REQUIRE(summary.json["by_payment_method"].size() == 1);
  CHECK(summary.json["by_payment_method"][0]["payment_method"] == "cash");
  CHECK(gym.http->get("/api/products/" + gym.water, gym.admin).json["stock"] == 8);
  CHECK(gym.http->get("/api/products/" + gym.bar, gym.admin).json["stock"] == 4);
  CHECK(browser.eval(text_of("receipt-total") + ".includes('5.50') || " + text_of("receipt-total") + ".includes('5,50')") == true);

  // The machine floor follows the WebSocket: staff put the treadmill out of service.
  gym.post("/api/machines/maintenance", {{"machine_id", "tm-1"}, {"code", "belt"}, {"severity", "fault"}});
  CHECK(browser.wait_for("document.querySelector('#machines li[data-machine=\"tm-1\"]').dataset.state === 'maintenance'"));
  browser.screenshot(screenshots() / "2-after-sale-1366x768.png");

  // Checking her out from the list.
  browser.eval("document.querySelector('#inside button').click()");
  CHECK(browser.wait_for(text_of("inside-count") + " === '0'"));

  // Usable at 1366 x 768 and on a tablet: nothing wider than the screen.
  CHECK(browser.eval("document.documentElement.scrollWidth <= window.innerWidth") == true);
  browser.viewport(800, 1280, true);
  CHECK(browser.wait_for("document.documentElement.scrollWidth <= window.innerWidth"));
  browser.screenshot(screenshots() / "3-tablet-800x1280.png");
  CHECK(browser.exceptions.empty());
  if (!browser.exceptions.empty()) MESSAGE(browser.exceptions.front());
}
