#include <algorithm>
#include <cctype>
#include <chrono>

#include "spotter/edge/reader.hpp"

namespace spotter::edge {

std::string ThreadedReader::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

void ThreadedReader::set_state(std::string s) {
  std::lock_guard lock(mu_);
  state_ = std::move(s);
}

void ThreadedReader::start(Sink sink) {
  thread_ = std::thread([this, sink = std::move(sink)] { run(sink); });
}

void ThreadedReader::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ThreadedReader::pause(int ms) const {
  for (int slept = 0; slept < ms && !stopping(); slept += 50) std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

protocol::Credential credential_from_text(const std::string& raw) {
  std::string text = raw;
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
  bool hex = (text.size() == 8 || text.size() == 14 || text.size() == 20) &&
             std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (hex) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return {protocol::Credential::Kind::nfc, text};
  }
  return {protocol::Credential::Kind::qr, text};
}

}  // namespace spotter::edge
