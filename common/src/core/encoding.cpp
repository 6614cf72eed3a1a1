#include "spotter/common/encoding.hpp"

#include <array>

namespace spotter {
namespace {
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::array<int, 256> make_b64_table() {
  std::array<int, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64Url[i])] = i;
  return t;
}
constexpr auto kB64Table = make_b64_table();
}  // namespace

std::string hex_encode(crypto::ByteView bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0x0F];
  }
  return out;
}

Result<crypto::Bytes> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return fail("bad_hex", "odd number of hex digits");
  crypto::Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return fail("bad_hex", "not a hex digit");
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return out;
}

std::string base64url_encode(crypto::ByteView bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8 | bytes[i + 2];
    out += kB64Url[n >> 18 & 63];
    out += kB64Url[n >> 12 & 63];
    out += kB64Url[n >> 6 & 63];
    out += kB64Url[n & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t n = std::uint32_t{bytes[i]} << 16;
    out += kB64Url[n >> 18 & 63];
    out += kB64Url[n >> 12 & 63];
  } else if (rest == 2) {
    std::uint32_t n = std::uint32_t{bytes[i]} << 16 | std::uint32_t{bytes[i + 1]} << 8;
    out += kB64Url[n >> 18 & 63];
    out += kB64Url[n >> 12 & 63];
    out += kB64Url[n >> 6 & 63];
  }
  return out;
}

Result<crypto::Bytes> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return fail("bad_base64", "impossible length");
  crypto::Bytes out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = kB64Table[static_cast<unsigned char>(c)];
    if (v < 0) return fail("bad_base64", "character outside the base64url alphabet");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  // Leftover bits must be zero, so every byte string has exactly one encoding.
  if (acc != 0) return fail("bad_base64", "non-canonical trailing bits");
  return out;
}

std::string base64_encode(crypto::ByteView bytes) {
  std::string out = base64url_encode(bytes);
  for (char& c : out) c = c == '-' ? '+' : c == '_' ? '/' : c;
  out.append((4 - out.size() % 4) % 4, '=');
  return out;
}

Result<crypto::Bytes> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return fail("bad_base64", "length must be a multiple of 4");
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  std::string url(text.substr(0, text.size() - pad));
  for (char& c : url) {
    if (c == '-' || c == '_') return fail("bad_base64", "character outside the base64 alphabet");
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return base64url_decode(url);
}

}  // namespace spotter
