// HTTP/1.1 + WebSocket on Boost.Beast. Threading contract:
// - one io_context per I/O thread (IoPool); a connection is given one of them when it is
//   accepted and lives there for good, so its handlers never run concurrently without a
//   strand (a strand costs a lock and an executor copy per handler); no thread per connection;
// - request handling (SQLite) runs on `workers` (a thread_pool); the answer is posted back
//   to the connection's io_context;
// - the hub's to_branch() may be called from any thread (worker threads, the job thread,
//   the thread that receives other instances' changes).
#pragma once
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../../core/http_application.hpp"
#include "../../core/live_updates.hpp"
#include "../../core/metrics.hpp"
#include "../../core/proxies.hpp"

namespace spotter::cloud {

struct ServerLimits {
  // A request must arrive whole, and an answer be taken, within this; an idle keep-alive
  // connection closes after it. Checked to within one timer period of the session.
  std::chrono::milliseconds read_timeout{30'000};
  std::size_t max_body_bytes = 1 << 20;  // sync_api::kMaxBatchBytes: a gateway's batch fits
  std::size_t max_header_bytes = 16 << 10;
  std::chrono::seconds ws_idle{30};            // pings at half; no answer by then: closed
  std::size_t ws_max_message = 64 << 10;
  // Kernel send buffer of a WebSocket connection (Linux doubles it). Left to autotuning it
  // grows to megabytes per slow client and fills with states that are already stale; kept
  // small, a client that does not keep up is held back in the session, where updates
  // coalesce to one per machine. 32 KiB still takes a burst of ~100 changes at once.
  int ws_send_buffer = 32 << 10;
  // A socket must authenticate within ws_auth_deadline; an authenticated one has its token
  // checked again every ws_recheck (logout, expiry, revocation, suspension, erasure close
  // it); at most ws_max_connections at once per instance (more are refused with 503).
  std::chrono::milliseconds ws_auth_deadline{10'000};
  std::chrono::milliseconds ws_recheck{15'000};
  std::size_t ws_max_connections = 20'000;
  // Peers whose X-Forwarded-For names the client (--trusted-proxies).
  TrustedProxies proxies;
};

class WsClient {
 public:
  virtual ~WsClient() = default;
  // Queue the latest state of one machine; a newer one replaces an unsent older one.
  virtual void deliver(const std::string& machine_id, std::shared_ptr<const std::string> text) = 0;
  virtual bool wants(const std::string& branch_id) const = 0;
  virtual bool is_user(const std::string& user_id) const = 0;
  virtual void close_for_shutdown() = 0;
  // Check the token again now (LiveUpdates::recheck). Any thread.
  virtual void recheck() = 0;
};

class WsHub final : public LiveUpdates {
 public:
  explicit WsHub(Metrics& metrics) : metrics_(metrics) {}
  void to_branch(const std::string& branch_id, const std::string& key, const Json& event) override;
  void to_user(const std::string& user_id, const std::string& key, const Json& event) override;
  void recheck(const std::string& user_id) override;
  void add(const std::shared_ptr<WsClient>& client);
  void remove(const WsClient* client);
  void close_all();
  std::size_t size() const;

 private:
  Metrics& metrics_;
  mutable std::mutex mu_;
  std::unordered_map<const WsClient*, std::weak_ptr<WsClient>> clients_;
};

// `threads` io_contexts, each run by its own thread from start() until stop().
class IoPool {
 public:
  explicit IoPool(int threads);
  ~IoPool() { stop(); }
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;
  boost::asio::io_context& first() { return *contexts_.front(); }
  // Round robin over the contexts; any thread.
  boost::asio::io_context& next();
  void start();
  // Lets queued handlers go, stops every context and joins the threads. Idempotent.
  void stop();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

class HttpServer {
 public:
  HttpServer(IoPool& io, boost::asio::thread_pool& workers, HttpApplication& app, Metrics& metrics, WsHub& hub, ServerLimits limits);
  // Binds and starts accepting. Throws on a bad address or a port in use (startup error).
  void listen(const std::string& host, std::uint16_t port);
  std::uint16_t port() const { return port_; }
  // Stops accepting; connections finish the request in hand and close.
  void stop_accepting();
  std::int64_t in_flight() const { return in_flight_.load(); }

  struct Shared {
    Shared(boost::asio::thread_pool& w, HttpApplication& a, Metrics& m, WsHub& h, ServerLimits l, std::atomic<std::int64_t>& f)
        : workers(w), app(a), metrics(m), hub(h), limits(std::move(l)), in_flight(f) {}
    boost::asio::thread_pool& workers;
    HttpApplication& app;
    Metrics& metrics;
    WsHub& hub;
    ServerLimits limits;
    std::atomic<bool> draining{false};
    std::atomic<std::int64_t>& in_flight;
    std::atomic<std::size_t> websockets{0};  // open WebSocket sessions (ServerLimits::ws_max_connections)
  };

 private:
  void accept();
  IoPool& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  std::atomic<std::int64_t> in_flight_{0};
  std::shared_ptr<Shared> shared_;
  std::uint16_t port_ = 0;
};

}  // namespace spotter::cloud
