#include "qr_image.hpp"

#define ZX_USE_UTF8
#include <ZXing/ReadBarcode.h>

// Debian's libstb ships the compiled stb_image; no STB_IMAGE_IMPLEMENTATION here.
#include <stb/stb_image.h>

#include <memory>

namespace spotter::edge {

Result<std::string> decode_qr_grey(const unsigned char* pixels, int width, int height) {
  if (!pixels || width <= 0 || height <= 0) return fail("unreadable_image", "empty image");
  ZXing::ImageView view(pixels, width, height, ZXing::ImageFormat::Lum);
  auto hints = ZXing::DecodeHints().setFormats(ZXing::BarcodeFormat::QRCode).setTryHarder(true);
  auto result = ZXing::ReadBarcode(view, hints);
  if (!result.isValid()) return fail("no_qr_code", "no QR code found in the image");
  return result.text();
}

Result<std::string> decode_qr_image(const std::string& path) {
  int w = 0, h = 0, channels = 0;
  // Refuse absurd sizes before decoding: a camera frame or a phone screenshot is far smaller.
  if (!stbi_info(path.c_str(), &w, &h, &channels)) return fail("unreadable_image", "cannot read " + path + " as an image");
  if (static_cast<long long>(w) * h > 40'000'000LL) return fail("unreadable_image", "image too large");
  std::unique_ptr<unsigned char, void (*)(void*)> pixels(stbi_load(path.c_str(), &w, &h, &channels, 1), stbi_image_free);
  if (!pixels) return fail("unreadable_image", "cannot decode " + path);
  return decode_qr_grey(pixels.get(), w, h);
}

}  // namespace spotter::edge
