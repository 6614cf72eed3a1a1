// WS /api/ws/machines. Authentication by ?access_token= or a first {"type":"auth"} message;
// subscriptions only to branches the caller may see. Back-pressure: each client holds at most
// one unsent update per machine (a newer state replaces an older unsent one), so a slow
// client costs memory bounded by the machines it watches and never delays the others.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>

#include "../../core/latest_updates.hpp"
#include "sessions.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;

namespace {

constexpr std::size_t kMaxControlReplies = 32;

class WsSession final : public WsClient, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(ConnectionSocket socket, std::shared_ptr<HttpServer::Shared> shared, std::string remote_ip)
      : ws_(std::move(socket)), check_(ws_.get_executor()), shared_(std::move(shared)), remote_ip_(std::move(remote_ip)) {
    shared_->websockets++;
    shared_->metrics.ws_connections++;
  }

  ~WsSession() override {
    shared_->hub.remove(this);
    shared_->websockets--;
    shared_->metrics.ws_connections--;
  }

  void run(http::request<http::string_body> upgrade) {
    beast::error_code ignored;  // a refused size leaves the kernel's default: still correct
    ws_.next_layer().set_option(net::socket_base::send_buffer_size(shared_->limits.ws_send_buffer), ignored);
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(10);
    timeouts.idle_timeout = shared_->limits.ws_idle;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    ws_.read_message_max(shared_->limits.ws_max_message);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) { res.set(http::field::server, "spotter-cloud"); }));
    std::string_view target(upgrade.target().data(), upgrade.target().size());
    std::map<std::string, std::string, std::less<>> query;
    if (auto q = target.find('?'); q != std::string_view::npos && !parse_query(target.substr(q + 1), query)) query.clear();
    if (auto t = query.find("access_token"); t != query.end()) token_ = t->second;
    if (auto b = query.find("branch_id"); b != query.end()) requested_branch_ = b->second;
    ws_.async_accept(upgrade, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      if (!self->token_.empty()) self->authenticate(self->token_);
      self->read();
      self->schedule_check(self->shared_->limits.ws_auth_deadline);
    });
  }

  void deliver(const std::string& machine_id, std::shared_ptr<const std::string> text) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), machine_id, text = std::move(text)]() mutable {
      if (!self->pending_.put(machine_id, std::move(text))) self->shared_->metrics.ws_messages_coalesced++;
      self->write_next();
    });
  }

  bool wants(const std::string& branch_id) const override {
    std::lock_guard lock(sub_mu_);
    return all_ || branches_.count(branch_id) > 0;
  }

  bool is_user(const std::string& user_id) const override {
    std::lock_guard lock(sub_mu_);
    return user_id_ == user_id;
  }

  void recheck() override {
    net::post(ws_.get_executor(), [self = shared_from_this()] {
      if (self->ended_ || self->closing_ || !self->caller_) return;
      // One in flight already: check the same token once more after it (its answer may
      // predate the change that asked for this).
      if (self->authenticating_) {
        if (!self->queued_token_) self->queued_token_ = self->token_;
        return;
      }
      self->authenticate(self->token_);
    });
  }

  void close_for_shutdown() override {
    net::post(ws_.get_executor(), [self = shared_from_this()] {
      self->ws_.async_close(websocket::close_code::going_away, [self](beast::error_code) {});
    });
  }

 private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) {  // closed, timed out (no pong) or too large: the session ends here
        self->ended_ = true;
        self->check_.cancel();  // the timer's handler holds the session too
        return;
      }
      std::string text = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      self->on_message(text);
      self->read();
    });
  }

  void on_message(const std::string& text) {
    auto msg = parse_json_strict(text, JsonLimits{.max_bytes = 64 << 10, .max_depth = 4});
    if (!msg || !msg->is_object() || !msg->contains("type") || !(*msg)["type"].is_string())
      return reply({{"type", "error"}, {"detail", "messages are JSON objects with a type"}});
    const std::string type = (*msg)["type"].get<std::string>();
    if (type == "auth") {
      // Again once authenticated: a fresh token (the app refreshed it) keeps the socket open
      // past the old one's expiry. It must be the same person's.
      if (!msg->contains("access_token") || !(*msg)["access_token"].is_string()) return reply({{"type", "error"}, {"detail", "access_token missing"}});
      if (authenticating_) {
        // A periodic re-check is under way: this token is checked as soon as it ends, and
        // that check's answer about the old token no longer matters. Two from the client
        // without waiting for the first answer is a client bug.
        if (queued_token_) return reply({{"type", "error"}, {"detail", "already authenticating"}});
        queued_token_ = (*msg)["access_token"].get<std::string>();
        return;
      }
      token_ = (*msg)["access_token"].get<std::string>();
      return authenticate(token_);
    }
    if (!caller_) return reply({{"type", "error"}, {"detail", "authenticate first"}});
    if (type == "subscribe") {
      const Json* ids = msg->contains("branch_ids") ? &(*msg)["branch_ids"] : nullptr;
      if (!ids || !ids->is_array()) return reply({{"type", "error"}, {"detail", "branch_ids must be an array"}});
      std::set<std::string, std::less<>> wanted;
      for (const auto& id : *ids) {
        if (!id.is_string() || !is_valid_id(id.get_ref<const std::string&>()) || !caller_->sees_branch(id.get_ref<const std::string&>()))
          return reply({{"type", "error"}, {"detail", "you may not see one of these branches"}});
        wanted.insert(id.get<std::string>());
      }
      {
        std::lock_guard lock(sub_mu_);
        all_ = false;
        branches_ = std::move(wanted);
      }
      return reply(subscription_message("subscribed"));
    }
    if (type == "ping") return reply({{"type", "pong"}});
    reply({{"type", "error"}, {"detail", "unknown message type"}});
  }

  void authenticate(const std::string& token) {
    authenticating_ = true;
    net::post(shared_->workers, [self = shared_from_this(), token] {
      auto caller = self->shared_->app.authenticate_socket(token);
      net::post(self->ws_.get_executor(), [self, caller = std::move(caller)]() mutable { self->on_authenticated(std::move(caller)); });
    });
  }

  // One timer per session: the authentication deadline, then the periodic re-check.
  void schedule_check(std::chrono::milliseconds after) {
    check_.expires_after(after);
    check_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closing_ || self->ended_) return;
      if (!self->caller_) {
        if (!self->authenticating_) return self->refuse("authenticate within the deadline", websocket::close_code::policy_error);
        return self->schedule_check(self->shared_->limits.ws_auth_deadline);
      }
      // One check at a time: one in flight (a fresh token from the app) schedules the next.
      if (self->authenticating_) return;
      self->authenticate(self->token_);  // re-checked; on_authenticated schedules the next
    });
  }

  void on_authenticated(Try<Caller> caller) {
    authenticating_ = false;
    if (ended_ || closing_) return;
    if (queued_token_) {  // the app sent a fresh token meanwhile: that one decides
      token_ = std::move(*queued_token_);
      queued_token_.reset();
      return authenticate(token_);
    }
    if (!caller) return refuse("invalid, expired or revoked access token", websocket::close_code::policy_error);
    if (caller_) {  // a re-check or a fresh token of the same person
      if (caller->id != caller_->id) return refuse("a token of someone else", websocket::close_code::policy_error);
      caller_ = std::move(caller).value();
      return schedule_check(shared_->limits.ws_recheck);
    }
    if (caller->role == Role::gateway) return refuse("gateways do not subscribe here", websocket::close_code::policy_error);
    if (!requested_branch_.empty() && !caller->sees_branch(requested_branch_))
      return refuse("you may not see this branch", websocket::close_code::policy_error);
    {
      std::lock_guard lock(sub_mu_);
      if (!requested_branch_.empty()) branches_ = {requested_branch_};
      else if (caller->all_branches) all_ = true;
      else branches_ = caller->branch_ids;
      user_id_ = caller->id;
    }
    caller_ = std::move(caller).value();
    shared_->hub.add(shared_from_this());
    reply(subscription_message("welcome"));
    schedule_check(shared_->limits.ws_recheck);
  }

  Json subscription_message(const char* type) {
    std::lock_guard lock(sub_mu_);
    return {{"type", type}, {"all_branches", all_}, {"branch_ids", branches_}};
  }

  void refuse(const std::string& why, websocket::close_code code) {
    reply({{"type", "error"}, {"detail", why}});
    closing_ = code;
    check_.cancel();
    write_next();
  }

  void reply(const Json& message) {
    if (control_.size() >= kMaxControlReplies) return refuse("too many requests without reading the replies", websocket::close_code::policy_error);
    control_.push_back(std::make_shared<const std::string>(dump_json(message)));
    write_next();
  }

  void write_next() {
    if (writing_) return;
    if (!control_.empty()) {
      in_write_ = std::move(control_.front());
      control_.pop_front();
    } else if (closing_) {
      writing_ = true;
      ws_.async_close(*closing_, [self = shared_from_this()](beast::error_code) {});
      return;
    } else if (auto update = pending_.take()) {
      in_write_ = std::move(*update);
    } else {
      return;
    }
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(*in_write_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      self->in_write_.reset();
      if (ec) return;
      self->shared_->metrics.ws_messages_sent++;
      self->write_next();
    });
  }

  websocket::stream<ConnectionSocket> ws_;
  net::basic_waitable_timer<std::chrono::steady_clock, net::wait_traits<std::chrono::steady_clock>, ConnectionSocket::executor_type> check_;
  beast::flat_buffer buffer_;
  std::shared_ptr<HttpServer::Shared> shared_;
  std::string remote_ip_;
  std::string token_, requested_branch_;
  std::optional<Caller> caller_;
  bool authenticating_ = false;  // one check at a time (ours or the app's)
  std::optional<std::string> queued_token_;  // from the app while a re-check was in flight
  // Read by the hub from other threads.
  mutable std::mutex sub_mu_;
  bool all_ = false;
  std::set<std::string, std::less<>> branches_;
  std::string user_id_;  // once authenticated
  // This connection's io_context thread only.
  std::deque<std::shared_ptr<const std::string>> control_;
  LatestUpdates pending_;
  std::shared_ptr<const std::string> in_write_;
  bool writing_ = false;
  std::optional<websocket::close_code> closing_;
  bool ended_ = false;  // the connection is gone: nothing more is scheduled
};

}  // namespace

void start_websocket(ConnectionSocket socket, http::request<http::string_body> upgrade, std::shared_ptr<HttpServer::Shared> shared,
                     std::string remote_ip) {
  if (shared->websockets.load() >= shared->limits.ws_max_connections) {
    // Full: a plain 503 before the upgrade, so the app backs off and tries again.
    auto res = std::make_shared<http::response<http::string_body>>(http::status::service_unavailable, upgrade.version());
    res->set(http::field::content_type, "application/problem+json");
    res->set(http::field::retry_after, "5");
    res->body() = R"({"type":"https://spotter.example/problems/too-many-websockets","title":"Service Unavailable","status":503,"detail":"too many live connections; try again shortly"})";
    res->prepare_payload();
    auto s = std::make_shared<ConnectionSocket>(std::move(socket));
    shared->metrics.ws_refused++;
    http::async_write(*s, *res, [s, res](beast::error_code, std::size_t) {
      beast::error_code ignored;
      s->shutdown(net::socket_base::shutdown_both, ignored);
    });
    return;
  }
  std::make_shared<WsSession>(std::move(socket), std::move(shared), std::move(remote_ip))->run(std::move(upgrade));
}

}  // namespace spotter::cloud
