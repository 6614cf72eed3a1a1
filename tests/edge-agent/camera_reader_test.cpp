// The camera reader against pictures instead of a camera: codes decoded from frames,
// reported once while in view; a missing camera is a state, not a crash.
#include <doctest/doctest.h>

#include <stb/stb_image.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "../../edge-agent/src/adapters/v4l2/v4l2_source.hpp"
#include "../../edge-agent/src/adapters/zxing/camera_reader.hpp"

using namespace spotter;
using namespace spotter::edge;
using namespace std::chrono_literals;

namespace {
GreyFrame load(const std::filesystem::path& png) {
  int w = 0, h = 0, n = 0;
  unsigned char* p = stbi_load(png.c_str(), &w, &h, &n, 1);
  REQUIRE(p != nullptr);
  GreyFrame f{std::vector<unsigned char>(p, p + w * h), w, h};
  stbi_image_free(p);
  return f;
}

// Plays frames in order, then repeats the last one.
class PictureSource final : public FrameSource {
 public:
  explicit PictureSource(std::vector<GreyFrame> frames) : frames_(std::move(frames)) {}
  std::string device() const override { return "pictures"; }
  Status open() override { return {}; }
  Result<std::optional<GreyFrame>> next(int) override {
    std::this_thread::sleep_for(10ms);
    auto f = frames_[std::min(i_, frames_.size() - 1)];
    ++i_;
    return std::optional<GreyFrame>{f};
  }
  void close() override {}

 private:
  std::vector<GreyFrame> frames_;
  std::size_t i_ = 0;
};
}  // namespace

TEST_CASE("codes in view are read once each; blank frames read nothing") {
  auto dir = std::filesystem::temp_directory_path() / ("spotter-cam-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  REQUIRE(std::system(("qrencode -s 4 -o " + (dir / "a.png").string() + " 'SPQ1.first-code'").c_str()) == 0);
  REQUIRE(std::system(("qrencode -s 4 -o " + (dir / "b.png").string() + " 04A1B2C3D4E5F6").c_str()) == 0);
  auto a = load(dir / "a.png"), b = load(dir / "b.png");
  GreyFrame blank{std::vector<unsigned char>(static_cast<std::size_t>(a.width * a.height), 255), a.width, a.height};
  std::vector<GreyFrame> frames = {blank, a, a, a, a, blank, b, b, b};
  CameraReader reader(std::make_unique<PictureSource>(frames), "gate");
  std::mutex mu;
  std::vector<ReaderEvent> events;
  reader.start([&](ReaderEvent e) {
    std::lock_guard lock(mu);
    events.push_back(std::move(e));
  });
  std::this_thread::sleep_for(600ms);
  reader.stop();
  std::lock_guard lock(mu);
  REQUIRE(events.size() == 2);
  CHECK(events[0].door == "gate");
  CHECK(events[0].credential == protocol::Credential{protocol::Credential::Kind::qr, "SPQ1.first-code"});
  CHECK(events[1].credential == protocol::Credential{protocol::Credential::Kind::nfc, "04A1B2C3D4E5F6"});  // a card number shown as a code
  std::filesystem::remove_all(dir);
}

TEST_CASE("no camera: the reader says so and keeps trying") {
  CameraReader reader(std::make_unique<V4l2Source>("/dev/no-such-video"), "gate");
  reader.start([](ReaderEvent) {});
  std::this_thread::sleep_for(200ms);
  CHECK(reader.state().rfind("error: cannot open /dev/no-such-video", 0) == 0);
  reader.stop();
}
