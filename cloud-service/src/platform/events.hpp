// How domains react to each other. An event names something that happened ("visit.ended")
// with a small JSON body; the domain that makes it happen publishes it from inside the
// transaction that changes its tables, and declares it in its own events.hpp.
//
// Two kinds of reaction:
// - on(): inside the publisher's transaction, on its thread, in this instance: the reaction
//   commits or rolls back with the change (machines ending the links of a visit that ended,
//   sync logging a replica change). A failure fails the transaction.
// - on_live(): after the commit, on every instance: the publisher's at once, the others
//   through the database's notification channel (PostgreSQL LISTEN/NOTIFY, in commit order,
//   within milliseconds). For what each instance keeps in memory: caches, WebSocket pushes.
//   A live handler reads the database for the state it needs (the event says what changed,
//   the tables say what it is now). When an instance's channel was interrupted, messages
//   may have been lost, so on_resync() handlers run instead: drop caches, resend state.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "spotter/common/json.hpp"
#include "spotter/common/result.hpp"

namespace spotter::cloud {

struct Event {
  std::string kind;
  Json body;
};

class EventBus {
 public:
  virtual ~EventBus() = default;
  // Registration happens while the service is assembled, before it serves.
  virtual void on(std::string kind, std::function<Status(const Event&)> handler) = 0;
  virtual void on_live(std::string kind, std::function<void(const Event&)> handler) = 0;
  virtual void on_resync(std::function<void()> handler) = 0;
  // Inside the caller's transaction (one is opened around it when there is none).
  virtual Status publish(const Event& event) = 0;
};

}  // namespace spotter::cloud
