#include <doctest/doctest.h>

#include <memory>

#include "spotter/common/result.hpp"

using spotter::Error;
using spotter::fail;
using spotter::Result;

namespace {
Result<int> half(int n) {
  if (n % 2 != 0) return fail("odd", "cannot halve an odd number");
  return n / 2;
}
}  // namespace

TEST_CASE("Result carries a value or an error, never both") {
  auto good = half(8);
  REQUIRE(good.ok());
  CHECK(*good == 4);
  auto bad = half(3);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "odd");
  CHECK(bad.value_or(-1) == -1);
}

TEST_CASE("Result holds move-only values") {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  REQUIRE(r.ok());
  auto p = std::move(r).value();
  CHECK(*p == 7);
}

TEST_CASE("Status reports success or the error") {
  spotter::Status ok;
  CHECK(ok.ok());
  spotter::Status bad = fail("io", "disk full");
  CHECK_FALSE(bad.ok());
  CHECK(bad.error() == Error{"io", "disk full"});
}
