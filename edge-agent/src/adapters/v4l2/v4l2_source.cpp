#include "v4l2_source.hpp"

#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace spotter::edge {
namespace {
int xioctl(int fd, unsigned long request, void* arg) {
  int r;
  do {
    r = ::ioctl(fd, request, arg);
  } while (r == -1 && errno == EINTR);
  return r;
}
}  // namespace

Status V4l2Source::open() {
  fd_ = ::open(path_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) return fail("no_camera", "cannot open " + path_ + ": " + std::strerror(errno));
  v4l2_capability cap{};
  if (xioctl(fd_, VIDIOC_QUERYCAP, &cap) != 0 || !(cap.capabilities & V4L2_CAP_VIDEO_CAPTURE) || !(cap.capabilities & V4L2_CAP_STREAMING)) {
    close();
    return fail("no_camera", path_ + " is not a streaming capture device");
  }
  v4l2_format fmt{};
  fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  fmt.fmt.pix.width = static_cast<unsigned>(width_);
  fmt.fmt.pix.height = static_cast<unsigned>(height_);
  fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_GREY;
  fmt.fmt.pix.field = V4L2_FIELD_ANY;
  if (xioctl(fd_, VIDIOC_S_FMT, &fmt) != 0 || fmt.fmt.pix.pixelformat != V4L2_PIX_FMT_GREY) {
    fmt.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;  // what nearly every USB camera offers
    if (xioctl(fd_, VIDIOC_S_FMT, &fmt) != 0 || fmt.fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV) {
      close();
      return fail("no_camera", path_ + " offers neither GREY nor YUYV frames");
    }
  }
  yuyv_ = fmt.fmt.pix.pixelformat == V4L2_PIX_FMT_YUYV;
  width_ = static_cast<int>(fmt.fmt.pix.width);
  height_ = static_cast<int>(fmt.fmt.pix.height);
  bytes_per_line_ = fmt.fmt.pix.bytesperline;
  v4l2_requestbuffers req{};
  req.count = 4;
  req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  req.memory = V4L2_MEMORY_MMAP;
  if (xioctl(fd_, VIDIOC_REQBUFS, &req) != 0 || req.count < 2) {
    close();
    return fail("no_camera", "cannot get capture buffers from " + path_);
  }
  for (unsigned i = 0; i < req.count; ++i) {
    v4l2_buffer b{};
    b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b.memory = V4L2_MEMORY_MMAP;
    b.index = i;
    if (xioctl(fd_, VIDIOC_QUERYBUF, &b) != 0) break;
    void* p = ::mmap(nullptr, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, b.m.offset);
    if (p == MAP_FAILED) break;
    buffers_.emplace_back(p, b.length);
    xioctl(fd_, VIDIOC_QBUF, &b);
  }
  v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  if (buffers_.size() < 2 || xioctl(fd_, VIDIOC_STREAMON, &type) != 0) {
    close();
    return fail("no_camera", "cannot start streaming from " + path_);
  }
  return {};
}

Result<std::optional<GreyFrame>> V4l2Source::next(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, timeout_ms);
  if (r == 0) return std::optional<GreyFrame>{};
  if (r < 0 || (p.revents & (POLLERR | POLLHUP))) return fail("camera_gone", "the camera stopped answering");
  v4l2_buffer b{};
  b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  b.memory = V4L2_MEMORY_MMAP;
  if (xioctl(fd_, VIDIOC_DQBUF, &b) != 0) {
    if (errno == EAGAIN) return std::optional<GreyFrame>{};
    return fail("camera_gone", std::string("capture failed: ") + std::strerror(errno));
  }
  GreyFrame f;
  f.width = width_;
  f.height = height_;
  f.pixels.resize(static_cast<std::size_t>(width_) * static_cast<std::size_t>(height_));
  const auto* src = static_cast<const unsigned char*>(buffers_.at(b.index).first);
  for (int y = 0; y < height_; ++y) {
    const unsigned char* row = src + static_cast<std::size_t>(y) * bytes_per_line_;
    for (int x = 0; x < width_; ++x) f.pixels[static_cast<std::size_t>(y * width_ + x)] = yuyv_ ? row[2 * x] : row[x];
  }
  xioctl(fd_, VIDIOC_QBUF, &b);
  return std::optional<GreyFrame>{std::move(f)};
}

void V4l2Source::close() {
  if (fd_ < 0) return;
  v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  xioctl(fd_, VIDIOC_STREAMOFF, &type);
  for (auto& [p, len] : buffers_) ::munmap(p, len);
  buffers_.clear();
  ::close(fd_);
  fd_ = -1;
}

}  // namespace spotter::edge
