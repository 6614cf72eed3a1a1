// Internal to the Beast adapter: the WebSocket session an HTTP session hands its upgrade to.
#pragma once
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "server.hpp"

namespace spotter::cloud {

void start_websocket(boost::beast::tcp_stream stream, boost::beast::http::request<boost::beast::http::string_body> upgrade,
                     std::shared_ptr<HttpServer::Shared> shared, std::string remote_ip);

}  // namespace spotter::cloud
