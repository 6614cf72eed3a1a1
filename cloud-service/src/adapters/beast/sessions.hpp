// Internal to the Beast adapter: the WebSocket session an HTTP session hands its upgrade to.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server.hpp"

namespace spotter::cloud {

// A connection's socket, bound to its io_context's executor type rather than the type-erased
// any_io_executor: every async operation copies the executor, and the erased one costs an
// allocation-free but indirect copy, destroy and query each time (measurable at 50k req/s).
// A plain socket, not beast::basic_stream: that one arms and cancels a timer around every
// read and write; the sessions keep their own deadlines (see HttpSession, and the WebSocket
// stream's timeout option).
using ConnectionSocket = boost::asio::ip::tcp::socket::rebind_executor<boost::asio::io_context::executor_type>::other;

void start_websocket(ConnectionSocket socket, boost::beast::http::request<boost::beast::http::string_body> upgrade,
                     std::shared_ptr<HttpServer::Shared> shared, std::string remote_ip);

}  // namespace spotter::cloud
