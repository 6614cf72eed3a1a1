#pragma once
// A PN532 NFC reader on a UART, emulated on a pty: enough of the protocol for libnfc's real
// pn532_uart driver to open it and list one ISO14443A card, which tests place and remove.
// Open it with the connstring "pn532_uart:" + path(). (Header-only, for system tests.)
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace spotter::testing {

class Pn532Emulator {
 public:
  Pn532Emulator() {
    char name[128];
    if (::openpty(&master_, &slave_, name, nullptr, nullptr) != 0) throw std::runtime_error("openpty");
    path_ = name;
    thread_ = std::thread([this] { run(); });
  }
  ~Pn532Emulator() {
    stop_ = true;
    thread_.join();
    ::close(master_);
    ::close(slave_);
  }
  const std::string& path() const { return path_; }
  void present(std::vector<std::uint8_t> uid) { std::lock_guard l(mu_); uid_ = std::move(uid); }
  void remove() { std::lock_guard l(mu_); uid_.clear(); }
  // How many times the reader has looked for a card so far (InListPassiveTarget): tests wait
  // for it to grow instead of sleeping ("the reader has seen the card still there").
  int polls() const { return polls_.load(); }

 private:
  void send(const std::vector<std::uint8_t>& data) {  // data = TFI (D5) + cmd + payload
    std::vector<std::uint8_t> f = {0x00, 0x00, 0xFF, static_cast<std::uint8_t>(data.size()), static_cast<std::uint8_t>(0x100 - data.size())};
    std::uint8_t sum = 0;
    for (auto b : data) { f.push_back(b); sum += b; }
    f.push_back(static_cast<std::uint8_t>(0x100 - sum));
    f.push_back(0x00);
    std::vector<std::uint8_t> ack = {0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00};
    if (::write(master_, ack.data(), ack.size()) < 0 || ::write(master_, f.data(), f.size()) < 0) return;
  }
  void handle(const std::vector<std::uint8_t>& d) {  // d[0] = D4, d[1] = command
    if (d.size() < 2 || d[0] != 0xD4) return;
    std::uint8_t cmd = d[1];
    std::vector<std::uint8_t> r = {0xD5, static_cast<std::uint8_t>(cmd + 1)};
    switch (cmd) {
      case 0x00: r.insert(r.end(), d.begin() + 2, d.end()); break;  // Diagnose: echo
      case 0x02: r.insert(r.end(), {0x32, 0x01, 0x06, 0x07}); break;  // GetFirmwareVersion
      case 0x06: for (std::size_t i = 2; i + 1 < d.size(); i += 2) r.push_back(0x00); break;  // ReadRegister
      case 0x4A: {  // InListPassiveTarget
        std::lock_guard l(mu_);
        ++polls_;
        if (uid_.empty()) { r.push_back(0x00); break; }
        r.insert(r.end(), {0x01, 0x01, 0x00, 0x44, 0x00, static_cast<std::uint8_t>(uid_.size())});
        r.insert(r.end(), uid_.begin(), uid_.end());
        break;
      }
      case 0x52: case 0x44: r.push_back(0x00); break;  // InRelease / InDeselect
      default: break;
    }
    send(r);
  }
  void run() {
    std::vector<std::uint8_t> buf;
    while (!stop_) {
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      std::uint8_t tmp[256];
      ssize_t n = ::read(master_, tmp, sizeof tmp);
      if (n <= 0) continue;
      buf.insert(buf.end(), tmp, tmp + n);
      // Frames: 00 FF LEN LCS data... DCS; wake-up bytes and ACKs before are skipped.
      while (true) {
        std::size_t i = 0;
        while (i + 1 < buf.size() && !(buf[i] == 0x00 && buf[i + 1] == 0xFF)) ++i;
        if (i + 4 > buf.size()) { buf.erase(buf.begin(), buf.begin() + i); break; }
        std::uint8_t len = buf[i + 2], lcs = buf[i + 3];
        if (len == 0x00 && lcs == 0xFF) { buf.erase(buf.begin(), buf.begin() + i + 4); continue; }  // ACK
        if (static_cast<std::uint8_t>(len + lcs) != 0) { buf.erase(buf.begin(), buf.begin() + i + 2); continue; }
        if (i + 4 + len + 1 > buf.size()) break;
        std::vector<std::uint8_t> data(buf.begin() + i + 4, buf.begin() + i + 4 + len);
        buf.erase(buf.begin(), buf.begin() + i + 4 + len + 1);
        handle(data);
      }
    }
  }
  int master_ = -1, slave_ = -1;
  std::string path_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::uint8_t> uid_;
  std::atomic<int> polls_{0};
};

}  // namespace spotter::testing
