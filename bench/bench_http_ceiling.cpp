// The HTTP ceiling of this machine, measured in the same run as spotter-cloud (the shared
// notes: figures move ±15% between runs, so report the ratio). A plain Beast async server as
// Beast's own example writes it (examples/http/server/async): one io_context run by N threads,
// a strand and a tcp_stream with a 30 s timeout per connection, request and response
// <string_body>, keep-alive. It answers every request with a fixed body of --body-bytes bytes
// (0: a trivial GET) and does no authentication, routing or logging.
//   bench_http_ceiling --port-file F [--threads 2] [--body-bytes 0]
// Writes the bound port (127.0.0.1, port 0) to F and serves until killed.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<const std::string> body) : stream_(std::move(socket)), body_(std::move(body)) {}
  void run() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read, shared_from_this())); }

 private:
  void read() {
    req_ = {};
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, req_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }
  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return close();
    res_ = {http::status::ok, req_.version()};
    res_.set(http::field::server, "ceiling");
    res_.set(http::field::content_type, "application/json");
    res_.keep_alive(req_.keep_alive());
    res_.body() = *body_;
    res_.prepare_payload();
    http::async_write(stream_, res_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }
  void on_write(beast::error_code ec, std::size_t) {
    if (ec || !res_.keep_alive()) return close();
    read();
  }
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  std::shared_ptr<const std::string> body_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& io, std::shared_ptr<const std::string> body)
      : io_(io), acceptor_(io, {net::ip::make_address("127.0.0.1"), 0}), body_(std::move(body)) {}
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  void accept() {
    acceptor_.async_accept(net::make_strand(io_), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (!ec) std::make_shared<Session>(std::move(socket), self->body_)->run();
      self->accept();
    });
  }

 private:
  net::io_context& io_;
  tcp::acceptor acceptor_;
  std::shared_ptr<const std::string> body_;
};

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == "--" + name) return argv[i + 1];
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const int threads = std::max(1, std::stoi(arg(argc, argv, "threads", "2")));
    auto body = std::make_shared<const std::string>(std::stoul(arg(argc, argv, "body-bytes", "0")), 'x');
    net::io_context io(threads);
    auto listener = std::make_shared<Listener>(io, body);
    std::ofstream(arg(argc, argv, "port-file", "ceiling.port")) << listener->port() << "\n";
    listener->accept();
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
  } catch (const std::exception& e) {
    std::cerr << "bench_http_ceiling: " << e.what() << "\n";
    return 1;
  }
}
