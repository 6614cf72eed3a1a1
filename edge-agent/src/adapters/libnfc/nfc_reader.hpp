#pragma once
// An NFC reader on libnfc (e.g. a PN532 on a UART or USB): polls for ISO14443A cards on the
// configured connstring and reports each card's UID once while it is held on the reader
// (debounce: the same card again only after it has been away for `rearm_ms`).
#include "spotter/edge/reader.hpp"

namespace spotter::edge {

class NfcReader final : public ThreadedReader {
 public:
  NfcReader(std::string connstring, std::string door, int poll_ms = 150, int rearm_ms = 1000);
  ~NfcReader() override { stop(); }
  std::string kind() const override { return "nfc"; }
  std::string device() const override { return connstring_; }
  std::string door() const override { return door_; }

 private:
  void run(const Sink& sink) override;

  std::string connstring_, door_;
  int poll_ms_, rearm_ms_;
};

}  // namespace spotter::edge
