#include "camera_reader.hpp"

#include <chrono>

#include "qr_image.hpp"

namespace spotter::edge {
using Clock = std::chrono::steady_clock;

CameraReader::CameraReader(std::unique_ptr<FrameSource> source, std::string door, int rearm_ms)
    : source_(std::move(source)), door_(std::move(door)), rearm_ms_(rearm_ms) {}

std::string CameraReader::device() const { return source_->device(); }

void CameraReader::run(const Sink& sink) {
  std::string last_text;
  auto last_seen = Clock::now() - std::chrono::hours(1);
  while (!stopping()) {
    if (auto opened = source_->open(); !opened) {
      set_state("error: " + opened.error().message + "; retrying");
      pause(2000);
      continue;
    }
    set_state("reading");
    while (!stopping()) {
      auto frame = source_->next(200);
      if (!frame) {
        set_state("error: " + frame.error().message + "; reopening");
        break;
      }
      if (!*frame) continue;
      const auto& f = **frame;
      auto text = decode_qr_grey(f.pixels.data(), f.width, f.height);
      if (!text) continue;  // no code in view
      auto now = Clock::now();
      bool held = *text == last_text && now - last_seen < std::chrono::milliseconds(rearm_ms_);
      last_text = *text;
      last_seen = now;
      if (!held) sink(ReaderEvent{door_, credential_from_text(*text), protocol::Direction::in});
    }
    source_->close();
  }
}

}  // namespace spotter::edge
