// Test clients for the cloud service: HTTP/1.1 keep-alive and WebSocket over loopback, both
// on Beast, with timeouts so a hung server fails the test instead of hanging it.
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "spotter/common/json.hpp"

namespace spotter::testing {

struct Reply {
  int status = 0;
  std::string body;
  Json json;  // null unless the body was JSON
  std::map<std::string, std::string> headers;  // lower-case names
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(int port);
  ~HttpClient();
  Reply get(const std::string& target, const std::string& token = "");
  Reply post(const std::string& target, const Json& body, const std::string& token = "");
  Reply patch(const std::string& target, const Json& body, const std::string& token = "");
  Reply del(const std::string& target, const std::string& token = "");
  Reply raw(const std::string& method, const std::string& target, const std::string& body, const std::string& token = "",
            const std::string& content_type = "application/json");
  // Sent with every later request (e.g. Accept-Encoding); an empty value stops sending it.
  void set_header(const std::string& name, const std::string& value);
  // Later requests go to another port (a restarted server).
  void retarget(int port);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class WsTestClient {
 public:
  // Connects and upgrades; throws on failure. `receive_buffer` (bytes, 0: the default)
  // makes a client that does not read push back on the server sooner.
  WsTestClient(int port, const std::string& target, int receive_buffer = 0);
  ~WsTestClient();
  void send(const std::string& text);
  // The next text message, or nullopt after `timeout` or when the server closed.
  std::optional<Json> next(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  // The next message of this `type` within `timeout`, skipping others. A timeout closes the
  // client (as next() does): wait only for what must come.
  std::optional<Json> next_of_type(const std::string& type, std::chrono::milliseconds timeout);
  bool closed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spotter::testing
