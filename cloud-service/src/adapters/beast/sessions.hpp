// Internal to the Beast adapter: the WebSocket session an HTTP session hands its upgrade to.
#pragma once
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server.hpp"

namespace spotter::cloud {

// A connection's stream, bound to its io_context's executor type rather than the type-erased
// any_io_executor: every async operation copies the executor, and the erased one costs an
// allocation-free but indirect copy, destroy and query each time (measurable at 50k req/s).
using ConnectionSocket = boost::asio::ip::tcp::socket::rebind_executor<boost::asio::io_context::executor_type>::other;
using ConnectionStream = boost::beast::basic_stream<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

void start_websocket(ConnectionStream stream, boost::beast::http::request<boost::beast::http::string_body> upgrade,
                     std::shared_ptr<HttpServer::Shared> shared, std::string remote_ip);

}  // namespace spotter::cloud
