#pragma once
// Frames from a V4L2 camera (/dev/videoN): memory-mapped capture, YUYV or GREY, of which
// only the luminance is kept. No camera is attached to CI machines: this adapter is
// exercised by hand on a gateway; CameraReader itself is tested with pictures.
#include <string>
#include <vector>

#include "../zxing/camera_reader.hpp"

namespace spotter::edge {

class V4l2Source final : public FrameSource {
 public:
  explicit V4l2Source(std::string path, int width = 640, int height = 480) : path_(std::move(path)), width_(width), height_(height) {}
  ~V4l2Source() override { close(); }
  std::string device() const override { return path_; }
  Status open() override;
  Result<std::optional<GreyFrame>> next(int timeout_ms) override;
  void close() override;

 private:
  std::string path_;
  int width_, height_;
  int fd_ = -1;
  bool yuyv_ = true;
  std::size_t bytes_per_line_ = 0;
  std::vector<std::pair<void*, std::size_t>> buffers_;
};

}  // namespace spotter::edge
