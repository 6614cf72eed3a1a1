// Whose machine data it is: by the link it names, else by the device's time against the
// machine's links (with a grace and the device clock's offset), never by arrival order.
#include <doctest/doctest.h>

#include "spotter/edge/attribution.hpp"

using namespace spotter;
using namespace spotter::edge;

namespace {

constexpr std::int64_t kT0 = 1'763'737'000'000;

MachineLink link(const std::string& id, const std::string& member, std::int64_t started, const std::string& machine = "tm-1") {
  return MachineLink{id, machine, member, "ses_" + member, started, started};
}

std::string member_of(const Attribution::Verdict& v) { return v.link ? v.link->member_id : ""; }

}  // namespace

TEST_CASE("attribution: a message naming its link is that link's member's, current or ended long ago") {
  Attribution a;
  a.link_started(link("lnk-1", "ana", kT0));
  CHECK(member_of(a.attribute("tm-1", "lnk-1", kT0 + 1000)) == "ana");
  // The idle that ends the link was applied first; the last workout comes after it.
  a.link_ended(link("lnk-1", "ana", kT0), kT0 + 60'000);
  a.link_started(link("lnk-2", "bo", kT0 + 61'000));
  auto late = a.attribute("tm-1", "lnk-1", kT0 + 59'000);
  CHECK(member_of(late) == "ana");
  CHECK(late.how == Attribution::How::link_id);
  // Hours later (the machine buffered it), whatever its own clock says.
  CHECK(member_of(a.attribute("tm-1", "lnk-1", kT0 + 5 * 3'600'000)) == "ana");
  // A link of another machine, or one this memory never had: the store is asked.
  CHECK(a.attribute("bike-1", "lnk-1", kT0).how == Attribution::How::unknown_link);
  CHECK(a.attribute("tm-1", "lnk-unknown", kT0).how == Attribution::How::unknown_link);
}

TEST_CASE("attribution: without a link id, the link covering the device's time, give or take the grace") {
  Attribution a;  // grace 5 s
  a.link_started(link("lnk-1", "ana", kT0));
  a.link_ended(link("lnk-1", "ana", kT0), kT0 + 60'000);
  a.link_started(link("lnk-2", "bo", kT0 + 120'000));
  CHECK(member_of(a.attribute("tm-1", std::nullopt, kT0 + 30'000)) == "ana");
  CHECK(a.attribute("tm-1", std::nullopt, kT0 + 30'000).how == Attribution::How::time);
  CHECK(member_of(a.attribute("tm-1", std::nullopt, kT0 + 64'000)) == "ana");  // 4 s after the end: within the grace
  CHECK_FALSE(a.attribute("tm-1", std::nullopt, kT0 + 66'000).link);            // 6 s after: used without a tap
  CHECK_FALSE(a.attribute("tm-1", std::nullopt, kT0 - 6'000).link);             // before anyone tapped
  CHECK(member_of(a.attribute("tm-1", std::nullopt, kT0 + 118'000)) == "bo");   // 2 s early for Bo's link
  CHECK(member_of(a.attribute("tm-1", std::nullopt, kT0 + 10 * 3'600'000)) == "bo");  // Bo's link is still open
  CHECK_FALSE(a.attribute("bike-1", std::nullopt, kT0 + 30'000).link);
}

TEST_CASE("attribution: two links close together: inside one wins over the grace of the other") {
  Attribution a;
  a.link_started(link("lnk-1", "ana", kT0));
  a.link_ended(link("lnk-1", "ana", kT0), kT0 + 60'000);
  a.link_started(link("lnk-2", "bo", kT0 + 62'000));
  CHECK(member_of(a.attribute("tm-1", std::nullopt, kT0 + 59'000)) == "ana");  // inside Ana's, though in Bo's grace
  CHECK(member_of(a.attribute("tm-1", std::nullopt, kT0 + 63'000)) == "bo");   // inside Bo's, though in Ana's grace
  CHECK(member_of(a.attribute("tm-1", std::nullopt, kT0 + 61'500)) == "bo");   // between: the nearer one
}

TEST_CASE("attribution: a device clock that runs ahead or behind is read on the gateway's clock") {
  Attribution a;
  a.link_started(link("lnk-1", "ana", kT0));
  a.link_ended(link("lnk-1", "ana", kT0), kT0 + 60'000);
  // The machine's clock is 45 s ahead: a set done at kT0 + 30 s carries kT0 + 75 s.
  const std::int64_t ahead = 45'000;
  CHECK_FALSE(a.attribute("tm-1", std::nullopt, kT0 + 30'000 + ahead).link);  // read naively: past the link
  for (int i = 0; i < 10; ++i) a.heard("tm-1", kT0 + i * 1000 + ahead, kT0 + i * 1000 + 3 /* network */);
  CHECK(a.gateway_time("tm-1", kT0 + 30'000 + ahead) == kT0 + 30'000 + 3);
  CHECK(member_of(a.attribute("tm-1", std::nullopt, kT0 + 30'000 + ahead)) == "ana");
  // A message that waited in the machine's buffer says nothing about its clock.
  a.heard("tm-1", kT0 + ahead, kT0 + 20 * 60'000);
  CHECK(a.gateway_time("tm-1", kT0 + 30'000 + ahead) == kT0 + 30'000 + 3);
  // A clock set right follows within two windows (5 minutes each).
  for (int i = 1; i <= 12; ++i) a.heard("tm-1", kT0 + 20 * 60'000 + i * 60'000, kT0 + 20 * 60'000 + i * 60'000 + 2);
  CHECK(a.gateway_time("tm-1", kT0) == kT0 + 2);
}

TEST_CASE("attribution: ended links stay a day in memory; open ones stay") {
  Attribution a;
  a.link_started(link("lnk-1", "ana", kT0));
  a.link_ended(link("lnk-1", "ana", kT0), kT0 + 60'000);
  a.link_started(link("lnk-2", "bo", kT0 + 120'000));
  a.forget_before(kT0 + 23 * 3'600'000);
  CHECK(member_of(a.attribute("tm-1", "lnk-1", kT0)) == "ana");
  a.forget_before(kT0 + 25 * 3'600'000);
  CHECK(a.attribute("tm-1", "lnk-1", kT0).how == Attribution::How::unknown_link);  // the store has it
  CHECK(member_of(a.attribute("tm-1", "lnk-2", kT0)) == "bo");
  // Restored at start: an ended link learnt after the fact is kept in order.
  Attribution restored;
  restored.link_ended(link("lnk-9", "cy", kT0 - 100'000), kT0 - 50'000);
  CHECK(member_of(restored.attribute("tm-1", std::nullopt, kT0 - 60'000)) == "cy");
}
