#pragma once
// An NFC reader on libnfc (e.g. a PN532 on a UART or USB): polls for ISO14443A cards on the
// configured connstring and reports each card's UID once while it is held on the reader
// (debounce: the same card again only after it has been away for `rearm_ms`).
#include <atomic>
#include <mutex>
#include <thread>

#include "spotter/edge/reader.hpp"

namespace spotter::edge {

class NfcReader final : public CredentialReader {
 public:
  NfcReader(std::string connstring, std::string door, int poll_ms = 150, int rearm_ms = 1000);
  ~NfcReader() override;
  std::string kind() const override { return "nfc"; }
  std::string device() const override { return connstring_; }
  std::string door() const override { return door_; }
  std::string state() const override;
  void start(Sink sink) override;
  void stop() override;

 private:
  void run(Sink sink);
  void set_state(std::string s);

  std::string connstring_, door_;
  int poll_ms_, rearm_ms_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::string state_ = "not started";
};

}  // namespace spotter::edge
