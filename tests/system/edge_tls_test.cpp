// The gateway's link to the cloud over TLS (processes.md, "TLS and device authentication"):
// a real HAProxy terminates TLS in front of spotter-cloud with certificates made here by a
// test CA; the agent checks the certificate and the host name, shows a refusal in `status`,
// `sync` and `doctor`, and sends plain http:// nowhere but this machine.
#include "sync_world.hpp"
#include "test_ca.hpp"

using namespace spotter;
using namespace spotter::testing;

namespace {
struct TlsFront {
  int good_port = free_port(), wrong_port = free_port();
  std::unique_ptr<ChildProcess> haproxy;
  TlsFront(const std::filesystem::path& d, int cloud_port) {
    make_test_certificates(d);
    const auto cfg = d / "tls.cfg";
    std::ofstream(cfg) << "global\n  log stdout format raw local0 warning\n"
                       << "defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n"
                       << "frontend good\n  bind 127.0.0.1:" << good_port << " ssl crt " << (d / "good.pem").string() << "\n  default_backend cloud\n"
                       << "frontend wrong\n  bind 127.0.0.1:" << wrong_port << " ssl crt " << (d / "wrong.pem").string() << "\n  default_backend cloud\n"
                       << "backend cloud\n  server c1 127.0.0.1:" << cloud_port << "\n";
    haproxy = std::make_unique<ChildProcess>(std::vector<std::string>{"/usr/sbin/haproxy", "-f", cfg.string(), "-db"}, d);
    REQUIRE_MESSAGE(eventually([&] {
      ChildProcess probe({"/bin/sh", "-c", "openssl s_client -connect 127.0.0.1:" + std::to_string(good_port) + " </dev/null >/dev/null 2>&1"}, d);
      return probe.wait(10s) == 0;
    }, 20s, 200ms), haproxy->stderr_text());
  }
};

std::string cli(SyncWorld& w, const char* command) {
  ChildProcess c({bin("spotter-edge"), command, "--data-dir", (w.dir.path() / "edge").string()}, w.dir.path());
  (void)c.wait(10s);
  return c.stdout_text();
}
}  // namespace

TEST_CASE("over https with the CA given, the gateway syncs: the replica comes, the door's events go") {
  SyncWorld w(false);
  TlsFront front(w.dir.path(), w.cloud_port);
  w.cloud_args = {"--cloud", "https://127.0.0.1:" + std::to_string(front.good_port), "--cloud-ca", (w.dir.path() / "ca.pem").string()};
  w.start_edge();
  REQUIRE(eventually([&] { return w.edge_status()["members"] == 1; }, 15s));
  CHECK(w.edge_status()["cloud"]["state"] == "online");
  REQUIRE(w.scan("04A1B2C3", "in").granted);
  REQUIRE(w.scan("04A1B2C3", "out").granted);
  CHECK(eventually([&] { return w.sessions_in_cloud() == 1; }, 15s));
}

TEST_CASE("a certificate the gateway cannot trust, or one for another host, is refused and shown by status, sync and doctor") {
  SyncWorld w(false);
  TlsFront front(w.dir.path(), w.cloud_port);
  SUBCASE("signed by a CA the system does not trust") {
    w.cloud_args = {"--cloud", "https://127.0.0.1:" + std::to_string(front.good_port)};
  }
  SUBCASE("for another host name") {
    w.cloud_args = {"--cloud", "https://127.0.0.1:" + std::to_string(front.wrong_port), "--cloud-ca", (w.dir.path() / "ca.pem").string()};
  }
  w.start_edge();
  REQUIRE(eventually([&] { return w.edge_status()["cloud"]["state"] == "certificate_refused"; }, 15s));
  const std::string why = w.edge_status()["cloud"]["last_error"];
  MESSAGE(why);
  CHECK(why.find("certificate was refused") != std::string::npos);
  CHECK(w.edge_status()["members"] == 0);  // nothing taken from a cloud it cannot trust
  CHECK(cli(w, "sync").find("certificate") != std::string::npos);
  ChildProcess doctor({bin("spotter-edge"), "doctor", "--data-dir", (w.dir.path() / "edge").string()}, w.dir.path());
  CHECK(doctor.wait(10s) == 1);
  CHECK(doctor.stdout_text().find("certificate") != std::string::npos);
}

TEST_CASE("plain http:// only to this machine: anything else stops the agent at start naming cloud") {
  SyncWorld w(false);
  for (const char* url : {"http://192.0.2.10:8080", "http://cloud.example.com", "ftp://127.0.0.1"}) {
    CAPTURE(url);
    ChildProcess edge({bin("spotter-edge"), "run", "--branch", w.branch, "--mqtt", w.broker.uri(), "--data-dir", (w.dir.path() / "edge").string(), "--cloud",
                       url, "--gateway-id", w.gateway_id, "--gateway-secret-file", w.secret_file},
                      w.dir.path());
    CHECK(edge.wait(10s) == 2);
    CHECK(edge.stderr_text().find("bad setting --cloud") != std::string::npos);
  }
  ChildProcess ca_without_tls({bin("spotter-edge"), "run", "--branch", w.branch, "--data-dir", (w.dir.path() / "edge").string(), "--cloud",
                               "http://127.0.0.1:1", "--cloud-ca", "/etc/hostname", "--gateway-id", w.gateway_id, "--gateway-secret-file", w.secret_file},
                              w.dir.path());
  CHECK(ca_without_tls.wait(10s) == 2);
}
