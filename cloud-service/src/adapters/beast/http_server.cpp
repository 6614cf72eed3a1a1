#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <array>

#include "../../core/response_head.hpp"
#include "request_reader.hpp"
#include "server.hpp"
#include "sessions.hpp"

namespace spotter::cloud {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(ConnectionSocket socket, std::shared_ptr<HttpServer::Shared> shared)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), shared_(std::move(shared)) {
    boost::system::error_code ec;
    auto endpoint = socket_.remote_endpoint(ec);
    remote_ip_ = ec ? "unknown" : endpoint.address().to_string();
    socket_.set_option(tcp::no_delay(true), ec);
    shared_->metrics.http_connections++;
  }
  ~HttpSession() { shared_->metrics.http_connections--; }

  void run() { net::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->read(); }); }

 private:
  void read() {
    reader_.emplace(raw_);
    reader_->body_limit(shared_->limits.max_body_bytes);
    reader_->header_limit(static_cast<std::uint32_t>(shared_->limits.max_header_bytes));
    reader_->eager(true);
    start_deadline();
    parse();
  }

  // Beast's read loop (http::async_read) without its composed operations: parse what is
  // buffered (a pipelined request may be there already), else read once more and parse again,
  // until one request is complete or wrong. This connection's thread only.
  void parse() {
    while (buffer_.size() > 0) {
      beast::error_code ec;
      const auto used = reader_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) break;
      if (ec || reader_->is_done()) return on_read(ec);
      if (used == 0) break;
    }
    // Reads into the capacity already there (at least 512 bytes): no connection's buffer grows
    // past what its largest request needed.
    socket_.async_read_some(buffer_.prepare(beast::read_size(buffer_, 65536)), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->buffer_.commit(n);
      if (ec == net::error::eof) {
        if (!self->reader_->got_some()) return self->on_read(http::error::end_of_stream);
        ec = {};
        self->reader_->put_eof(ec);  // a request cut short is partial_message
        return self->on_read(ec);
      }
      if (ec) return self->on_read(ec);
      self->parse();
    });
  }

  void on_read(beast::error_code ec) {
    deadline_ = Clock::time_point::max();  // a request being handled is not timed
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof)
      return close();
    if (ec) {
      shared_->metrics.rejected_bodies++;
      if (ec == http::error::body_limit) return reply_and_close(problem(413, "too-large", "the body is larger than the server accepts"));
      if (ec == http::error::header_limit) return reply_and_close(problem(431, "headers-too-large", "the request headers are too large"));
      return reply_and_close(problem(400, "malformed-request", "the request is not valid HTTP/1.1"));
    }
    std::string_view target(raw_.target);
    const auto question = target.find('?');
    request_.query.clear();
    if (!percent_decode(target.substr(0, question), request_.path) ||
        (question != std::string_view::npos && !parse_query(target.substr(question + 1), request_.query)))
      return reply_and_close(problem(400, "malformed-request", "the request target is not valid"));
    if (reader_->upgrade()) {
      auto upgrade = raw_.upgrade_request();
      if (beast::websocket::is_upgrade(upgrade)) {
        if (request_.path != "/api/ws/machines") return reply_and_close(problem(404, "not-found", "no WebSocket here"));
        timer_.cancel();  // the WebSocket stream keeps its own timeouts
        const std::string client = shared_->limits.proxies.empty()
                                       ? remote_ip_
                                       : shared_->limits.proxies.client_address(remote_ip_, raw_.joined_field("x-forwarded-for"));
        return start_websocket(std::move(socket_), std::move(upgrade), shared_, client);
      }
    }
    keep_alive_ = reader_->keep_alive();
    request_.method.assign(raw_.method);
    if (shared_->limits.proxies.empty()) request_.remote_ip.assign(remote_ip_);
    else request_.remote_ip = shared_->limits.proxies.client_address(remote_ip_, raw_.joined_field("x-forwarded-for"));
    request_.authorization.assign(raw_.field(http::field::authorization));
    request_.content_type.assign(raw_.field(http::field::content_type));
    request_.accept_encoding.assign(raw_.field(http::field::accept_encoding));
    request_.idempotency_key = raw_.joined_field("idempotency-key");
    request_.user_agent.assign(raw_.field(http::field::user_agent));
    request_.body.swap(raw_.body);
    ++shared_->in_flight;
    if (auto fast = shared_->app.answer_from_memory(request_)) {
      cached_answer_ = std::move(fast);
      return send(*cached_answer_);
    }
    // SQLite work happens on the worker pool; the answer comes back to this connection's thread.
    net::post(shared_->workers, [self = shared_from_this(), request = std::move(request_)]() mutable {
      HttpResponse response = self->shared_->app.handle(request);
      net::post(self->socket_.get_executor(), [self, response = std::move(response)]() mutable { self->write(std::move(response)); });
    });
  }

  void reply_and_close(HttpResponse response) {
    keep_alive_ = false;
    ++shared_->in_flight;
    write(std::move(response));
  }

  void write(HttpResponse response) {
    answer_ = std::move(response);
    send(answer_);
  }

  // `response` is answer_ or *cached_answer_ (shared with other requests, never copied) and
  // stays alive until the write completes. The head is built into a buffer this connection
  // reuses and goes out with the body in one gather write.
  void send(const HttpResponse& response) {
    keep_alive_ = keep_alive_ && !shared_->draining.load();
    const bool has_body = status_has_body(response.status);
    write_response_head(response, has_body ? response.body.size() : 0, keep_alive_, head_);
    const std::array<net::const_buffer, 2> buffers{net::buffer(head_), has_body ? net::buffer(response.body) : net::const_buffer()};
    start_deadline();
    net::async_write(socket_, buffers, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      --self->shared_->in_flight;
      self->cached_answer_.reset();
      self->answer_.body = std::string();  // an idle connection holds no answer
      if (ec || !self->keep_alive_) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    socket_.close(ec);
    timer_.cancel();
  }

  // A request must arrive whole, and an answer be taken, within read_timeout; an idle
  // keep-alive connection closes after it. One timer per connection, re-armed only when it
  // fires before the current deadline (about once per timeout period), instead of a timer
  // armed and cancelled around every read and write. This connection's thread only.
  void start_deadline() {
    deadline_ = Clock::now() + shared_->limits.read_timeout;
    if (!timer_armed_) watch();
  }

  void watch() {
    timer_armed_ = true;
    timer_.expires_at(deadline_);
    timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      auto self = weak.lock();
      if (!self) return;
      self->timer_armed_ = false;
      if (ec || !self->socket_.is_open() || self->deadline_ == Clock::time_point::max()) return;
      if (Clock::now() < self->deadline_) return self->watch();
      self->close();  // the pending read or write ends with operation_aborted
    });
  }

  using Clock = std::chrono::steady_clock;
  using Timer = net::basic_waitable_timer<Clock, net::wait_traits<Clock>, net::io_context::executor_type>;
  ConnectionSocket socket_;
  Timer timer_;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool timer_armed_ = false;
  beast::flat_buffer buffer_;
  RawRequest raw_;
  std::optional<RequestReader> reader_;
  HttpRequest request_;
  std::string head_;
  HttpResponse answer_;
  std::shared_ptr<const HttpResponse> cached_answer_;
  std::shared_ptr<HttpServer::Shared> shared_;
  std::string remote_ip_;
  bool keep_alive_ = true;
};

}  // namespace

IoPool::IoPool(int threads) {
  for (int i = 0; i < std::max(threads, 1); ++i) {
    // Concurrency hint 1: one thread runs it; other threads still post to it safely.
    contexts_.push_back(std::make_unique<net::io_context>(1));
    guards_.push_back(net::make_work_guard(*contexts_.back()));
  }
}

net::io_context& IoPool::next() { return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()]; }

void IoPool::start() {
  for (auto& io : contexts_) threads_.emplace_back([&io = *io] { io.run(); });
}

void IoPool::stop() {
  guards_.clear();
  for (auto& io : contexts_) io->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

HttpServer::HttpServer(IoPool& io, net::thread_pool& workers, HttpApplication& app, Metrics& metrics, WsHub& hub, ServerLimits limits)
    : io_(io), acceptor_(io.first()), retry_(io.first()),
      shared_(std::make_shared<Shared>(workers, app, metrics, hub, std::move(limits), in_flight_)) {}

void HttpServer::listen(const std::string& host, std::uint16_t port) {
  tcp::endpoint endpoint(net::ip::make_address(host), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(net::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(net::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
  acceptor_.non_blocking(true);  // the burst loop in accept() must not block
  accept();
}

void HttpServer::accept() {
  acceptor_.async_accept(io_.next(), [this](beast::error_code ec, ConnectionSocket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors or memory: retrying at once would spin; the backlog waits a moment.
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && acceptor_.is_open()) accept();
      });
      return;
    }
    std::make_shared<HttpSession>(std::move(socket), shared_)->run();
    // A burst of connects (every app reconnecting after a network blip) is taken in one go:
    // one accept per trip around a busy io_context left the last of 1,000 waiting seconds.
    for (int i = 0; i < 1024; ++i) {
      ConnectionSocket more = acceptor_.accept(io_.next(), ec);
      if (ec) break;
      std::make_shared<HttpSession>(std::move(more), shared_)->run();
    }
    accept();
  });
}

void HttpServer::stop_accepting() {
  shared_->draining = true;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    retry_.cancel();
  });
}

void WsHub::to_branch(const std::string& branch_id, const std::string& key, const Json& event) {
  auto text = std::make_shared<const std::string>(dump_json(event));
  std::vector<std::shared_ptr<WsClient>> targets;
  {
    std::lock_guard lock(mu_);
    targets.reserve(clients_.size());
    for (const auto& [raw, weak] : clients_)
      if (auto c = weak.lock(); c && c->wants(branch_id)) targets.push_back(std::move(c));
  }
  for (const auto& c : targets) c->deliver(key, text);
}

void WsHub::to_user(const std::string& user_id, const std::string& key, const Json& event) {
  std::vector<std::shared_ptr<WsClient>> targets;
  {
    std::lock_guard lock(mu_);
    for (const auto& [raw, weak] : clients_)
      if (auto c = weak.lock(); c && c->is_user(user_id)) targets.push_back(std::move(c));
  }
  if (targets.empty()) return;
  auto text = std::make_shared<const std::string>(dump_json(event));
  for (const auto& c : targets) c->deliver(key, text);
}

void WsHub::recheck(const std::string& user_id) {
  std::vector<std::shared_ptr<WsClient>> targets;
  {
    std::lock_guard lock(mu_);
    for (const auto& [raw, weak] : clients_)
      if (auto c = weak.lock(); c && c->is_user(user_id)) targets.push_back(std::move(c));
  }
  for (const auto& c : targets) c->recheck();
}

void WsHub::add(const std::shared_ptr<WsClient>& client) {
  std::lock_guard lock(mu_);
  clients_[client.get()] = client;
  metrics_.ws_clients = static_cast<std::int64_t>(clients_.size());
}

void WsHub::remove(const WsClient* client) {
  std::lock_guard lock(mu_);
  clients_.erase(client);
  metrics_.ws_clients = static_cast<std::int64_t>(clients_.size());
}

void WsHub::close_all() {
  std::vector<std::shared_ptr<WsClient>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [raw, weak] : clients_)
      if (auto c = weak.lock()) all.push_back(std::move(c));
  }
  for (const auto& c : all) c->close_for_shutdown();
}

std::size_t WsHub::size() const {
  std::lock_guard lock(mu_);
  return clients_.size();
}

}  // namespace spotter::cloud
