#pragma once
// Line-based QR/barcode and card scanners on a serial tty (USB-serial or a UART): each line
// is one credential. Raw mode, the configured speed, reopened after a disconnect.
#include "spotter/edge/reader.hpp"

namespace spotter::edge {

class SerialReader final : public ThreadedReader {
 public:
  SerialReader(std::string path, std::string door, int baud = 9600);
  ~SerialReader() override { stop(); }
  std::string kind() const override { return "serial"; }
  std::string device() const override { return path_; }
  std::string door() const override { return door_; }

 private:
  void run(const Sink& sink) override;

  std::string path_, door_;
  int baud_;
};

}  // namespace spotter::edge
