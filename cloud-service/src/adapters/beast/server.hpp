// HTTP/1.1 + WebSocket on Boost.Beast. Threading contract:
// - one io_context run by a small fixed pool of threads; every connection lives on its own
//   strand, so its handlers never run concurrently; no thread per connection;
// - request handling (SQLite) runs on `workers` (a thread_pool); the answer is posted back
//   to the connection's strand;
// - the hub's publish() may be called from any thread (worker threads, the job thread).
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "../../cloud/api.hpp"

namespace spotter::cloud {

struct ServerLimits {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  // A request must arrive whole within this; an idle keep-alive connection closes after it.
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds ws_idle{30};            // pings at half; no answer by then: closed
  std::size_t ws_max_message = 64 << 10;
};

class WsClient {
 public:
  virtual ~WsClient() = default;
  // Queue the latest state of one machine; a newer one replaces an unsent older one.
  virtual void deliver(const std::string& machine_id, std::shared_ptr<const std::string> text) = 0;
  virtual bool wants(const std::string& branch_id) const = 0;
  virtual void close_for_shutdown() = 0;
};

class WsHub final : public MachineEvents {
 public:
  explicit WsHub(Metrics& metrics) : metrics_(metrics) {}
  void publish(const std::string& branch_id, const std::string& machine_id, const Json& event) override;
  void add(const std::shared_ptr<WsClient>& client);
  void remove(const WsClient* client);
  void close_all();
  std::size_t size() const;

 private:
  Metrics& metrics_;
  mutable std::mutex mu_;
  std::unordered_map<const WsClient*, std::weak_ptr<WsClient>> clients_;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, boost::asio::thread_pool& workers, Api& api, WsHub& hub, ServerLimits limits);
  // Binds and starts accepting. Throws on a bad address or a port in use (startup error).
  void listen(const std::string& host, std::uint16_t port);
  std::uint16_t port() const { return port_; }
  // Stops accepting; connections finish the request in hand and close.
  void stop_accepting();
  std::int64_t in_flight() const { return in_flight_.load(); }

  struct Shared {
    Shared(boost::asio::thread_pool& w, Api& a, WsHub& h, ServerLimits l, std::atomic<std::int64_t>& f)
        : workers(w), api(a), hub(h), limits(l), in_flight(f) {}
    boost::asio::thread_pool& workers;
    Api& api;
    WsHub& hub;
    ServerLimits limits;
    std::atomic<bool> draining{false};
    std::atomic<std::int64_t>& in_flight;
  };

 private:
  void accept();
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<std::int64_t> in_flight_{0};
  std::shared_ptr<Shared> shared_;
  std::uint16_t port_ = 0;
};

}  // namespace spotter::cloud
