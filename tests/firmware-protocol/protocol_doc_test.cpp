// Every ```json <type> example in PROTOCOL.md is decoded, so the document a firmware
// author copies from cannot drift from the codec; every message type must have one.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "spotter/protocol/codec.hpp"
#include "spotter/protocol/fingerprint.hpp"

using namespace spotter::protocol;

namespace {
struct Example {
  std::string type;
  std::string payload;
  int line;
};

std::vector<Example> examples() {
  std::ifstream in(std::string(SPOTTER_SOURCE_DIR) + "/firmware-protocol/PROTOCOL.md");
  REQUIRE(in.good());
  std::vector<Example> out;
  std::string line;
  int n = 0;
  std::optional<Example> cur;
  while (std::getline(in, line)) {
    ++n;
    if (!cur && line.rfind("```json ", 0) == 0) {
      cur = Example{line.substr(8), "", n};
    } else if (cur && line == "```") {
      out.push_back(*cur);
      cur.reset();
    } else if (cur) {
      cur->payload += line;
    }
  }
  return out;
}
}  // namespace

TEST_CASE("every example in PROTOCOL.md decodes, and encodes back to the same message") {
  std::set<MessageType> covered;
  auto all = examples();
  CHECK(all.size() >= 20);
  for (const auto& ex : all) {
    CAPTURE(ex.line);
    CAPTURE(ex.payload);
    if (ex.type == "fingerprint_template") {  // 4.4: not a device message, its own codec
      auto t = decode_fingerprint_template(ex.payload);
      REQUIRE(t.ok());
      CHECK(decode_fingerprint_template(encode(*t)).value() == *t);
      continue;
    }
    auto type = message_type_from_name(ex.type);
    REQUIRE(type.ok());
    auto msg = decode(*type, ex.payload);
    if (!msg.ok()) FAIL("rejected: ", to_string(msg.error().reason), " ", msg.error().field);
    covered.insert(*type);
    auto again = decode(*type, encode(*msg));
    REQUIRE(again.ok());
    CHECK(*again == *msg);
  }
  CHECK(covered.size() == static_cast<std::size_t>(kMessageTypeCount));
}
