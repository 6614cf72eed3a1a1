#pragma once
// Line-based QR/barcode and card scanners on a serial tty (USB-serial or a UART): each line
// is one credential. Raw mode, the configured speed, reopened after a disconnect.
#include <atomic>
#include <mutex>
#include <thread>

#include "spotter/edge/reader.hpp"

namespace spotter::edge {

class SerialReader final : public CredentialReader {
 public:
  SerialReader(std::string path, std::string door, int baud = 9600);
  ~SerialReader() override;
  std::string kind() const override { return "serial"; }
  std::string device() const override { return path_; }
  std::string door() const override { return door_; }
  std::string state() const override;
  void start(Sink sink) override;
  void stop() override;

 private:
  void run(Sink sink);
  void set_state(std::string s);

  std::string path_, door_;
  int baud_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable std::mutex mu_;
  std::string state_ = "not started";
};

}  // namespace spotter::edge
