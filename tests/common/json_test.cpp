#include <doctest/doctest.h>

#include <string>

#include "spotter/common/json.hpp"

using spotter::JsonLimits;
using spotter::parse_json_strict;

TEST_CASE("strict JSON accepts ordinary documents") {
  auto r = parse_json_strict(R"({"a": [1, 2.5, "x", true, null], "b": {"c": "é"}})");
  REQUIRE(r.ok());
  CHECK((*r)["a"][1] == 2.5);
  CHECK((*r)["b"]["c"] == "é");
}

TEST_CASE("strict JSON rejects each kind of bad input with its own reason") {
  struct Case {
    std::string text;
    const char* code;
  };
  std::string deep(40, '[');
  deep += std::string(40, ']');
  const Case cases[] = {
      {"", "not_json"},
      {"{", "not_json"},
      {"{\"a\":1,}", "not_json"},
      {"{\"a\":NaN}", "not_json"},
      {"{\"a\":1} trailing", "not_json"},
      {"{\"a\":1,\"a\":2}", "duplicate_key"},
      {"{\"o\":{\"k\":1,\"k\":1}}", "duplicate_key"},
      {deep, "too_deep"},
      {"{\"s\":\"\xC3\x28\"}", "bad_utf8"},
      {"{\"s\":\"\xED\xA0\x80\"}", "bad_utf8"},       // UTF-16 surrogate encoded in UTF-8
      {"{\"s\":\"\xC0\xAF\"}", "bad_utf8"},           // overlong '/'
      {"{\"s\":\"\\uD800\"}", "not_json"},            // lone surrogate escape
      {"\xFF", "bad_utf8"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto r = parse_json_strict(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
  }
}

TEST_CASE("duplicate keys in sibling objects are fine") {
  CHECK(parse_json_strict(R"([{"k":1},{"k":2}])").ok());
  CHECK(parse_json_strict(R"({"a":{"k":1},"b":{"k":2}})").ok());
}

TEST_CASE("size and depth limits are exact") {
  JsonLimits limits{10, 2};
  CHECK(parse_json_strict("[[1]]", limits).ok());
  CHECK(parse_json_strict("[[[1]]]", limits).error().code == "too_deep");
  CHECK(parse_json_strict("[1,2,3,4,5]", limits).error().code == "too_large");
}

TEST_CASE("UTF-8 validation") {
  CHECK(spotter::is_valid_utf8("plain"));
  CHECK(spotter::is_valid_utf8("\xF0\x9F\x8F\x8B"));  // U+1F3CB
  CHECK_FALSE(spotter::is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  CHECK_FALSE(spotter::is_valid_utf8("\xE2\x82"));          // truncated
  CHECK_FALSE(spotter::is_valid_utf8("\x80"));
}

TEST_CASE("error messages never echo the input") {
  auto r = parse_json_strict("{\"password\": hunter2}");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("hunter2") == std::string::npos);
}
