#include "private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

namespace spotter::edge {

void write_private_file(const std::string& file, std::string_view bytes) {
  const std::string tmp = file + ".new";
  const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = out >= 0 && ::fchmod(out, 0600) == 0;  // an old .new left with another mode
  for (std::size_t at = 0; ok && at < bytes.size();) {
    const ssize_t n = ::write(out, bytes.data() + at, bytes.size() - at);
    ok = n > 0;
    if (ok) at += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(out) == 0;
  if (out >= 0) ::close(out);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + file);
  }
}

crypto::Bytes load_key_file(const std::string& file, bool create, std::string_view what) {
  crypto::Bytes key(crypto::kAesKeySize);
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && !create) throw std::runtime_error("no " + std::string(what) + " at " + file + " (the agent writes it when it first runs)");
  if (fd < 0) {
    key = crypto::random_bytes(crypto::kAesKeySize);
    write_private_file(file, crypto::as_text(key));
    return key;
  }
  const ssize_t n = ::read(fd, key.data(), key.size());
  char extra = 0;
  const bool longer = ::read(fd, &extra, 1) > 0;
  ::close(fd);
  if (n != static_cast<ssize_t>(key.size()) || longer) throw std::runtime_error("the " + std::string(what) + " " + file + " is not 32 bytes");
  return key;
}

}  // namespace spotter::edge
