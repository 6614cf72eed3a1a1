#pragma once
// QR codes shown to a camera at a door: frames from a FrameSource (a V4L2 camera on a
// gateway; a list of pictures in tests), decoded with ZXing, each code reported once while
// it stays in view (re-armed after it has been gone for `rearm_ms`).
#include <memory>
#include <optional>
#include <vector>

#include "spotter/common/result.hpp"
#include "spotter/edge/reader.hpp"

namespace spotter::edge {

struct GreyFrame {
  std::vector<unsigned char> pixels;  // 8-bit luminance, row-major
  int width = 0, height = 0;
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual std::string device() const = 0;
  virtual Status open() = 0;
  // The next frame; nullopt when none came in time (not an error). Error when the device
  // went away: the reader closes and reopens it.
  virtual Result<std::optional<GreyFrame>> next(int timeout_ms) = 0;
  virtual void close() = 0;
};

class CameraReader final : public ThreadedReader {
 public:
  CameraReader(std::unique_ptr<FrameSource> source, std::string door, int rearm_ms = 2000);
  ~CameraReader() override { stop(); }
  std::string kind() const override { return "camera"; }
  std::string device() const override;
  std::string door() const override { return door_; }

 private:
  void run(const Sink& sink) override;

  std::unique_ptr<FrameSource> source_;
  std::string door_;
  int rearm_ms_;
};

}  // namespace spotter::edge
