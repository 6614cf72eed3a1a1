// gzip (RFC 1952) with zlib, for answers that many clients fetch and that compress well
// (the availability list: 22 KB of JSON for 100 machines becomes a few hundred bytes to a
// few KB). Pure function; thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace spotter::cloud {

// nullopt only when zlib cannot allocate its state; the caller then sends the plain body.
std::optional<std::string> gzip_compress(std::string_view data);

}  // namespace spotter::cloud
