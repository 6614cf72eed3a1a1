#pragma once
// Readers attached to the gateway itself (PROTOCOL.md's MQTT door readers are the other
// kind): each reads credentials on its own thread and hands them over as if a door's reader
// had published a scan. Hardware sits behind this interface; tests use ptys and fakes.
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <string>

#include "spotter/protocol/messages.hpp"

namespace spotter::edge {

struct ReaderEvent {
  std::string door;
  protocol::Credential credential;
  protocol::Direction direction = protocol::Direction::in;
};

class CredentialReader {
 public:
  using Sink = std::function<void(ReaderEvent)>;
  virtual ~CredentialReader() = default;
  virtual std::string kind() const = 0;    // "serial", "nfc", "camera"
  virtual std::string device() const = 0;  // what it was opened on
  virtual std::string door() const = 0;
  virtual std::string state() const = 0;   // "reading", "error: ..."
  // Starts the reader's thread; `sink` is called from it.
  virtual void start(Sink sink) = 0;
  virtual void stop() = 0;
};

// The thread, stop flag and state text every local reader has. A subclass implements
// run() (looping until stopping()) and calls stop() first thing in its destructor, so its
// members outlive the thread.
class ThreadedReader : public CredentialReader {
 public:
  std::string state() const override;
  void start(Sink sink) override;
  void stop() override;

 protected:
  virtual void run(const Sink& sink) = 0;
  void set_state(std::string s);
  bool stopping() const { return stop_.load(); }
  // Sleeps up to `ms`, waking early when asked to stop.
  void pause(int ms) const;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::string state_ = "not started";
};

// What a scanner's text means: an NFC UID when it is 8, 14 or 20 hex digits (upper-cased),
// else the text of a QR code.
protocol::Credential credential_from_text(const std::string& text);

}  // namespace spotter::edge
