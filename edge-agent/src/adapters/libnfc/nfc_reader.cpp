#include "nfc_reader.hpp"

#include <nfc/nfc.h>

#include <chrono>
#include <cstdio>

namespace spotter::edge {
namespace {
using Clock = std::chrono::steady_clock;

std::string uid_hex(const nfc_target& t) {
  std::string out;
  char b[3];
  for (std::size_t i = 0; i < t.nti.nai.szUidLen && i < sizeof(t.nti.nai.abtUid); ++i) {
    std::snprintf(b, sizeof b, "%02X", t.nti.nai.abtUid[i]);
    out += b;
  }
  return out;
}

}  // namespace

NfcReader::NfcReader(std::string connstring, std::string door, int poll_ms, int rearm_ms)
    : connstring_(std::move(connstring)), door_(std::move(door)), poll_ms_(poll_ms), rearm_ms_(rearm_ms) {}

void NfcReader::run(const Sink& sink) {
  nfc_context* ctx = nullptr;
  nfc_init(&ctx);
  if (!ctx) {
    set_state("error: libnfc could not start");
    return;
  }
  std::string last_uid;
  auto last_seen = Clock::now();
  while (!stopping()) {
    nfc_device* dev = nfc_open(ctx, connstring_.c_str());
    if (!dev || nfc_initiator_init(dev) < 0) {
      if (dev) nfc_close(dev);
      set_state("error: cannot open " + connstring_ + "; retrying");
      pause(2000);
      continue;
    }
    set_state("reading");
    const nfc_modulation iso14443a = {NMT_ISO14443A, NBR_106};
    while (!stopping()) {
      nfc_target target{};
      int found = nfc_initiator_select_passive_target(dev, iso14443a, nullptr, 0, &target);
      if (found < 0) {
        set_state("error: reader stopped answering; reopening");
        break;
      }
      auto now = Clock::now();
      if (found > 0) {
        std::string uid = uid_hex(target);
        nfc_initiator_deselect_target(dev);
        bool held = uid == last_uid && now - last_seen < std::chrono::milliseconds(rearm_ms_);
        last_uid = uid;
        last_seen = now;
        if (!held && (uid.size() == 8 || uid.size() == 14 || uid.size() == 20)) {
          sink(ReaderEvent{door_, {protocol::Credential::Kind::nfc, uid}, protocol::Direction::in});
        }
      }
      pause(poll_ms_);
    }
    nfc_close(dev);
  }
  nfc_exit(ctx);
}

}  // namespace spotter::edge
