#pragma once
// QR codes from pictures (ZXing-C++ with Debian's stb image loader): `spotter-edge scan
// --qr-image FILE.png`, and the camera reader's frames once a V4L2 camera is wired in.
#include <string>

#include "spotter/common/result.hpp"

namespace spotter::edge {

// Error codes: "unreadable_image" (missing, not an image, too large), "no_qr_code".
Result<std::string> decode_qr_image(const std::string& path);
// The same for an 8-bit grey frame already in memory.
Result<std::string> decode_qr_grey(const unsigned char* pixels, int width, int height);

}  // namespace spotter::edge
