#include "pg_feed.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include "pg_common.hpp"

namespace spotter::cloud {

PgChangeFeed::PgChangeFeed(SqlDatabase& db, std::string url, std::string channel, Logger log)
    : db_(db), url_(std::move(url)), channel_(std::move(channel)), log_(std::move(log)) {
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("change feed: no pipe");
}

PgChangeFeed::~PgChangeFeed() {
  stop();
  if (conn_) PQfinish(static_cast<PGconn*>(conn_));
  ::close(wake_[0]);
  ::close(wake_[1]);
}

Status PgChangeFeed::send(std::string_view payload) {
  if (payload.size() > 7900) return fail(std::string(sql_error::sql), "change feed message too large");
  auto r = db_.query("SELECT pg_notify(?, ?)", {channel_, std::string(payload)});
  if (!r) return Unexpected<Error>{r.error()};
  return {};
}

bool PgChangeFeed::listen() {
  if (conn_) PQfinish(static_cast<PGconn*>(conn_));
  conn_ = nullptr;
  auto opened = open_connection(url_);
  if (!opened) {
    log_.warn("change feed cannot reach the database; retrying", {{"error", opened.error().message}});
    return false;
  }
  PGconn* c = *opened;
  // The channel is an identifier chosen by the service (no user input): quoted, not bound,
  // because LISTEN takes no parameters.
  PGresult* r = PQexec(c, ("LISTEN \"" + channel_ + "\"").c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    log_.warn("change feed cannot LISTEN; retrying", {{"error", pg_error(c, nullptr).message}});
    PQfinish(c);
    return false;
  }
  conn_ = c;
  return true;
}

void PgChangeFeed::start(std::function<void(std::string_view)> on_message, std::function<void()> on_gap) {
  on_message_ = std::move(on_message);
  on_gap_ = std::move(on_gap);
  listening_ = listen();
  thread_ = std::thread([this] { run(); });
}

void PgChangeFeed::run() {
  bool interrupted = !listening_;
  while (!stopping_) {
    if (!conn_) {
      pollfd wait{wake_[0], POLLIN, 0};
      ::poll(&wait, 1, 1000);
      if (stopping_) break;
      if (!listen()) continue;
      listening_ = true;
      log_.info("change feed listening again");
    }
    if (interrupted) {
      interrupted = false;
      on_gap_();
    }
    PGconn* c = static_cast<PGconn*>(conn_);
    pollfd fds[2] = {{PQsocket(c), POLLIN, 0}, {wake_[0], POLLIN, 0}};
    ::poll(fds, 2, 5000);
    if (stopping_) break;
    if (PQconsumeInput(c) == 0 || PQstatus(c) != CONNECTION_OK) {
      log_.warn("change feed lost its connection; reconnecting", {{"error", pg_error(c, nullptr).message}});
      PQfinish(c);
      conn_ = nullptr;
      listening_ = false;
      interrupted = true;
      continue;
    }
    while (PGnotify* n = PQnotifies(c)) {
      on_message_(n->extra ? std::string_view(n->extra) : std::string_view());
      PQfreemem(n);
    }
  }
}

void PgChangeFeed::stop() {
  if (stopping_.exchange(true)) return;
  const char byte = 1;
  (void)!::write(wake_[1], &byte, 1);
  if (thread_.joinable()) thread_.join();
}

std::string PgChangeFeed::state() const { return listening_ ? "listening" : "reconnecting"; }

}  // namespace spotter::cloud
