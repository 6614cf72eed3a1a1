#pragma once
// Files only the agent's user may read (keys, passwords), written whole: a reader sees the
// old file or the new one, never a part, and never with a wider mode for a moment.
#include <string>
#include <string_view>

#include "spotter/common/crypto.hpp"

namespace spotter::edge {

// Writes `bytes` to `file` (mode 0600) through a temporary file, fsync and rename. Throws
// std::runtime_error naming the file when it cannot.
void write_private_file(const std::string& file, std::string_view bytes);

// A 32-byte key in `file`. Missing: created with random bytes when `create`, else an error.
// Throws std::runtime_error naming `what` and the file (a start-up or command error).
crypto::Bytes load_key_file(const std::string& file, bool create, std::string_view what);

}  // namespace spotter::edge
