#include "inbound_journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <set>
#include <stdexcept>

namespace spotter::edge {
namespace fs = std::filesystem;
namespace {

constexpr std::uint32_t kMaxRecord = 1u << 20;

void put32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put64(std::string& s, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}
std::uint64_t get(const char* p, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(p[i]);
  return v;
}

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

std::set<std::uint64_t> segments_in(const fs::path& dir) {
  std::set<std::uint64_t> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    auto name = e.path().filename().string();
    if (name.rfind("journal-", 0) == 0 && name.size() > 12 && name.ends_with(".log")) {
      try {
        out.insert(std::stoull(name.substr(8, name.size() - 12)));
      } catch (const std::exception&) {
      }
    }
  }
  return out;
}
}  // namespace

std::uint32_t crc32(std::string_view data, std::uint32_t seed) {
  std::uint32_t c = seed ^ 0xFFFFFFFFu;
  for (char ch : data) c = kCrcTable[(c ^ static_cast<std::uint8_t>(ch)) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

InboundJournal::InboundJournal(const fs::path& dir, std::uint64_t segment_bytes) : dir_(dir), segment_bytes_(segment_bytes) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  auto segs = segments_in(dir_);
  open_segment(segs.empty() ? 1 : *segs.rbegin());
}

InboundJournal::~InboundJournal() {
  if (fd_ >= 0) ::close(fd_);
}

fs::path InboundJournal::segment_path(std::uint64_t n) const {
  char name[40];
  std::snprintf(name, sizeof name, "journal-%012llu.log", static_cast<unsigned long long>(n));
  return dir_ / name;
}

void InboundJournal::open_segment(std::uint64_t n) {
  int fd = ::open(segment_path(n).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open the inbound journal in " + dir_.string() + ": " + std::strerror(errno));
  if (fd_ >= 0) {
    ::fdatasync(fd_);  // the finished segment is durable before appends move on
    ::close(fd_);
  }
  fd_ = fd;
  struct stat st{};
  ::fstat(fd_, &st);
  end_ = {n, static_cast<std::uint64_t>(st.st_size)};
}

JournalPosition InboundJournal::end() const {
  std::lock_guard lock(mu_);
  return end_;
}

std::uint64_t InboundJournal::bytes_on_disk() const {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto n : segments_in(dir_)) total += fs::file_size(segment_path(n), ec);
  return total;
}

namespace {
void encode_record(std::string& out, std::string_view topic, std::string_view payload, std::int64_t received_at_ms) {
  std::string body;
  body.reserve(10 + topic.size() + payload.size());
  put64(body, static_cast<std::uint64_t>(received_at_ms));
  body += static_cast<char>(topic.size() & 0xFF);
  body += static_cast<char>((topic.size() >> 8) & 0xFF);
  body.append(topic);
  body.append(payload);
  put32(out, static_cast<std::uint32_t>(body.size()));
  put32(out, crc32(body));
  out += body;
}
}  // namespace

Result<std::vector<JournalPosition>> InboundJournal::append_batch(const std::vector<Record>& records, std::int64_t received_at_ms) {
  std::string buf;
  std::vector<std::size_t> ends;
  for (const auto& r : records) {
    encode_record(buf, r.topic, r.payload, received_at_ms);
    ends.push_back(buf.size());
  }
  std::lock_guard lock(mu_);
  if (end_.offset >= segment_bytes_) {
    try {
      open_segment(end_.segment + 1);
    } catch (const std::exception& e) {
      return fail("io", e.what());
    }
  }
  std::size_t off = 0;
  while (off < buf.size()) {
    ssize_t n = ::pwrite(fd_, buf.data() + off, buf.size() - off, static_cast<off_t>(end_.offset + off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (::ftruncate(fd_, static_cast<off_t>(end_.offset)) != 0) {}
      return fail("io", std::string("journal write failed: ") + std::strerror(errno));
    }
    off += static_cast<std::size_t>(n);
  }
  std::vector<JournalPosition> out;
  out.reserve(ends.size());
  for (auto e : ends) out.push_back({end_.segment, end_.offset + e});
  end_.offset += buf.size();
  return out;
}

Result<JournalPosition> InboundJournal::append(std::string_view topic, std::string_view payload, std::int64_t received_at_ms) {
  auto ends = append_batch({Record{topic, payload}}, received_at_ms);
  if (!ends) return Unexpected<Error>{ends.error()};
  return ends->back();
}

Status InboundJournal::sync() {
  int fd;
  {
    std::lock_guard lock(mu_);
    fd = ::dup(fd_);  // sync outside the lock, so appends never wait for the disk
  }
  if (fd < 0) return fail("io", "journal sync failed");
  int rc = ::fdatasync(fd);
  ::close(fd);
  if (rc != 0) return fail("io", std::string("journal sync failed: ") + std::strerror(errno));
  return {};
}

Status InboundJournal::replay(JournalPosition from, const std::function<void(const JournalEntry&)>& fn) {
  std::lock_guard lock(mu_);
  for (auto n : segments_in(dir_)) {
    if (n < from.segment) continue;
    int fd = n == end_.segment ? fd_ : ::open(segment_path(n).c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return fail("io", "cannot read journal segment " + segment_path(n).string());
    struct stat st{};
    ::fstat(fd, &st);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    std::uint64_t pos = n == from.segment ? from.offset : 0;
    char head[8];
    while (pos + 8 <= size) {
      if (::pread(fd, head, 8, static_cast<off_t>(pos)) != 8) break;
      auto len = static_cast<std::uint32_t>(get(head, 4));
      auto crc = static_cast<std::uint32_t>(get(head + 4, 4));
      if (len < 10 || len > kMaxRecord || pos + 8 + len > size) break;
      std::string body(len, '\0');
      if (::pread(fd, body.data(), len, static_cast<off_t>(pos + 8)) != static_cast<ssize_t>(len) || crc32(body) != crc) break;
      auto tlen = static_cast<std::size_t>(get(body.data() + 8, 2));
      if (10 + tlen > len) break;
      JournalEntry e;
      e.end = {n, pos + 8 + len};
      e.received_at_ms = static_cast<std::int64_t>(get(body.data(), 8));
      e.topic = body.substr(10, tlen);
      e.payload = body.substr(10 + tlen);
      fn(e);
      pos = e.end.offset;
    }
    if (pos < size && ::ftruncate(fd, static_cast<off_t>(pos)) != 0) {
      if (fd != fd_) ::close(fd);
      return fail("io", "cannot cut a torn journal tail");
    }
    if (n == end_.segment) end_.offset = std::min(pos, size);
    if (fd != fd_) ::close(fd);
  }
  return {};
}

void InboundJournal::release(JournalPosition applied) {
  std::uint64_t current;
  {
    std::lock_guard lock(mu_);
    current = end_.segment;
  }
  for (auto n : segments_in(dir_)) {
    if (n < applied.segment && n < current) {
      std::error_code ec;
      fs::remove(segment_path(n), ec);
    }
  }
}

}  // namespace spotter::edge
