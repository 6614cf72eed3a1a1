#include <fmt/format.h>

#include "spotter/common/encoding.hpp"
#include "spotter/common/ids.hpp"
#include "spotter/edge/replica.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::edge {
namespace {

// Reads one entry's fields; the first problem is kept with its path.
class Entry {
 public:
  Entry(const Json& j, std::string path, std::optional<Error>& err) : j_(j), path_(std::move(path)), err_(err) {
    if (!j_.is_object()) bad("", "must be an object");
  }
  std::string id(const char* k) {
    auto s = text(k, true);
    if (!err_ && !is_valid_id(s)) bad(k, "must match [A-Za-z0-9_-]{1,64}");
    return s;
  }
  std::string text(const char* k, bool required, std::size_t max = 256) {
    if (err_) return {};
    auto it = j_.find(k);
    if (it == j_.end()) {
      if (required) bad(k, "is required");
      return {};
    }
    if (!it->is_string() || it->get_ref<const std::string&>().size() > max) {
      bad(k, fmt::format("must be a string of at most {} bytes", max));
      return {};
    }
    return it->get<std::string>();
  }
  std::int64_t millis(const char* k, bool required, std::int64_t dflt) {
    if (err_) return dflt;
    auto it = j_.find(k);
    if (it == j_.end()) {
      if (required) bad(k, "is required");
      return dflt;
    }
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) bad(k, "must be milliseconds since the epoch");
    return err_ ? dflt : it->get<std::int64_t>();
  }
  bool flag(const char* k) {
    if (err_) return false;
    auto it = j_.find(k);
    if (it == j_.end()) return false;
    if (!it->is_boolean()) bad(k, "must be true or false");
    return !err_ && it->get<bool>();
  }
  const Json* find(const char* k) const {
    auto it = j_.find(k);
    return it == j_.end() ? nullptr : &*it;
  }
  void bad(std::string_view field, std::string_view why) {
    if (!err_) err_ = Error{"invalid_replica", path_ + (field.empty() ? "" : ".") + std::string(field) + ": " + std::string(why)};
  }

 private:
  const Json& j_;
  std::string path_;
  std::optional<Error>& err_;
};

const Json& list(const Json& doc, const char* key, std::optional<Error>& err) {
  static const Json empty = Json::array();
  auto it = doc.find(key);
  if (it == doc.end()) return empty;
  if (!it->is_array() && !err) err = Error{"invalid_replica", std::string(key) + ": must be a list"};
  return it->is_array() ? *it : empty;
}

bool is_uid(const std::string& s) {
  return (s.size() == 8 || s.size() == 14 || s.size() == 20) &&
         s.find_first_not_of("0123456789ABCDEF") == std::string::npos;
}

}  // namespace

Result<ReplicaSnapshot> parse_replica(const Json& doc) {
  if (!doc.is_object()) return fail("invalid_replica", "the document must be a JSON object");
  std::optional<Error> err;
  ReplicaSnapshot out;
  {
    static const Json no_branch;
    const Json* b = doc.contains("branch") ? &doc["branch"] : &no_branch;
    Entry e(*b, "branch", err);
    out.branch.id = e.id("id");
    out.branch.name = e.text("name", false);
    auto tz = e.text("timezone", false, 64);
    if (!tz.empty()) out.branch.time_zone = tz;
    if (const Json* h = e.find("opening_hours"); h && !err) {
      auto hours = OpeningHours::from_json(*h);
      if (!hours) e.bad("opening_hours", hours.error().message);
      else out.branch.hours = *hours;
    }
  }
  const Json& members = list(doc, "members", err);
  for (std::size_t i = 0; i < members.size() && !err; ++i) {
    Entry e(members[i], fmt::format("members[{}]", i), err);
    MemberRecord m{e.id("id"), e.text("display_name", false, 128), e.flag("suspended")};
    out.members.push_back(std::move(m));
  }
  const Json& memberships = list(doc, "memberships", err);
  for (std::size_t i = 0; i < memberships.size() && !err; ++i) {
    Entry e(memberships[i], fmt::format("memberships[{}]", i), err);
    MembershipRecord m;
    m.id = e.id("id");
    m.member_id = e.id("member_id");
    m.starts_at_ms = e.millis("starts_at_ms", false, 0);
    m.expires_at_ms = e.millis("expires_at_ms", true, 0);
    m.suspended = e.flag("suspended");
    if (const Json* b = e.find("branch_ids"); b && !err) {
      if (!b->is_array()) e.bad("branch_ids", "must be a list of branch ids");
      for (std::size_t k = 0; b->is_array() && k < b->size() && !err; ++k) {
        if (!(*b)[k].is_string() || !is_valid_id((*b)[k].get_ref<const std::string&>())) e.bad("branch_ids", "must be a list of branch ids");
        else m.branch_ids.push_back((*b)[k].get<std::string>());
      }
    }
    out.memberships.push_back(std::move(m));
  }
  const Json& cards = list(doc, "cards", err);
  for (std::size_t i = 0; i < cards.size() && !err; ++i) {
    Entry e(cards[i], fmt::format("cards[{}]", i), err);
    NfcCard c{e.text("uid", true, 20), e.id("member_id"), e.flag("blocked")};
    if (!err && !is_uid(c.uid)) e.bad("uid", "must be 8, 14 or 20 upper-case hex digits");
    out.cards.push_back(std::move(c));
  }
  const Json& prints = list(doc, "fingerprints", err);
  for (std::size_t i = 0; i < prints.size() && !err; ++i) {
    Entry e(prints[i], fmt::format("fingerprints[{}]", i), err);
    FingerprintRecord f{e.id("credential_id"), e.id("member_id"), e.text("finger", false, 32), {}};
    // 4,096 bytes of template are 5,464 characters of base64.
    auto raw = base64_decode(e.text("template", true, 5464));
    if (!err && (!raw || raw->empty() || raw->size() > kMaxFingerprintTemplate)) e.bad("template", "must be base64 of 1-4096 bytes");
    if (!err) f.template_.assign(raw->begin(), raw->end());
    out.fingerprints.push_back(std::move(f));
  }
  const Json& machines = list(doc, "machines", err);
  for (std::size_t i = 0; i < machines.size() && !err; ++i) {
    Entry e(machines[i], fmt::format("machines[{}]", i), err);
    MachineRecord m{e.id("id"), e.text("name", false, 128), std::nullopt, e.text("type", false, 64)};
    auto cat = e.text("category", false, 16);
    for (auto c : {protocol::Category::cardio, protocol::Category::strength, protocol::Category::functional}) {
      if (cat == protocol::to_string(c)) m.category = c;
    }
    if (!cat.empty() && !m.category) e.bad("category", "must be cardio, strength or functional");
    out.machines.push_back(std::move(m));
  }
  const Json& keys = list(doc, "qr_keys", err);
  for (std::size_t i = 0; i < keys.size() && !err; ++i) {
    Entry e(keys[i], fmt::format("qr_keys[{}]", i), err);
    QrKey k{e.id("kid"), e.text("public_key", true, 128)};
    if (!err) {
      auto raw = base64url_decode(k.public_key);
      // The point itself is checked to lie on the curve when the verifier loads it.
      if (!raw || raw->size() != 65 || (*raw)[0] != 0x04) e.bad("public_key", "must be a base64url P-256 public key (65 bytes, uncompressed)");
    }
    out.qr_keys.push_back(std::move(k));
  }
  if (err) return Unexpected<Error>{*err};
  return out;
}

Json replica_to_json(const ReplicaSnapshot& s) {
  Json doc;
  doc["branch"] = {{"id", s.branch.id}, {"name", s.branch.name}, {"timezone", s.branch.time_zone}, {"opening_hours", s.branch.hours.to_json()}};
  doc["members"] = Json::array();
  for (const auto& m : s.members) doc["members"].push_back({{"id", m.id}, {"display_name", m.display_name}, {"suspended", m.account_suspended}});
  doc["memberships"] = Json::array();
  for (const auto& m : s.memberships) {
    doc["memberships"].push_back({{"id", m.id}, {"member_id", m.member_id}, {"starts_at_ms", m.starts_at_ms},
                                  {"expires_at_ms", m.expires_at_ms}, {"suspended", m.suspended}, {"branch_ids", m.branch_ids}});
  }
  doc["cards"] = Json::array();
  for (const auto& c : s.cards) doc["cards"].push_back({{"uid", c.uid}, {"member_id", c.member_id}, {"blocked", c.blocked}});
  doc["fingerprints"] = Json::array();
  for (const auto& f : s.fingerprints) {
    doc["fingerprints"].push_back({{"credential_id", f.credential_id}, {"member_id", f.member_id}, {"finger", f.finger},
                                   {"template", base64_encode(crypto::as_bytes(f.template_))}});
  }
  doc["machines"] = Json::array();
  for (const auto& m : s.machines) {
    Json j = {{"id", m.id}, {"name", m.name}, {"type", m.type}};
    if (m.category) j["category"] = protocol::to_string(*m.category);
    doc["machines"].push_back(std::move(j));
  }
  doc["qr_keys"] = Json::array();
  for (const auto& k : s.qr_keys) doc["qr_keys"].push_back({{"kid", k.kid}, {"public_key", k.public_key}});
  return doc;
}

Result<ReplicaDelta> parse_replica_delta(const Json& doc) {
  if (!doc.is_object()) return fail("invalid_replica", "delta: must be an object");
  ReplicaDelta out;
  // Each part is checked by the import format's own parser, so both accept the same records.
  const Json branch = {{"id", "delta"}};
  std::size_t i = 0;
  for (const auto& m : doc.value("members", Json::array())) {
    const std::string where = "delta.members[" + std::to_string(i++) + "]";
    if (!m.is_object()) return fail("invalid_replica", where + ": must be an object");
    Json member = m;
    member.erase("memberships");
    member.erase("cards");
    member.erase("fingerprints");
    auto parsed = parse_replica({{"branch", branch}, {"members", Json::array({member})}, {"memberships", m.value("memberships", Json::array())},
                                 {"cards", m.value("cards", Json::array())}, {"fingerprints", m.value("fingerprints", Json::array())}});
    if (!parsed) return fail("invalid_replica", where + ": " + parsed.error().message);
    for (const auto& ms : parsed->memberships)
      if (ms.member_id != parsed->members[0].id) return fail("invalid_replica", where + ": a membership of another member");
    for (const auto& c : parsed->cards)
      if (c.member_id != parsed->members[0].id) return fail("invalid_replica", where + ": a card of another member");
    for (const auto& f : parsed->fingerprints)
      if (f.member_id != parsed->members[0].id) return fail("invalid_replica", where + ": a fingerprint of another member");
    out.members.push_back({parsed->members[0], std::move(parsed->memberships), std::move(parsed->cards), std::move(parsed->fingerprints)});
  }
  auto machines = parse_replica({{"branch", branch}, {"machines", doc.value("machines", Json::array())}});
  if (!machines) return fail("invalid_replica", "delta." + machines.error().message);
  out.machines = std::move(machines->machines);
  for (const char* key : {"removed_members", "removed_machines"}) {
    const Json list = doc.value(key, Json::array());
    if (!list.is_array()) return fail("invalid_replica", std::string("delta.") + key + ": must be an array");
    for (const auto& id : list) {
      if (!id.is_string() || !is_valid_id(id.get_ref<const std::string&>())) return fail("invalid_replica", std::string("delta.") + key + ": ids only");
      (std::string(key) == "removed_members" ? out.removed_members : out.removed_machines).push_back(id.get<std::string>());
    }
  }
  return out;
}

}  // namespace spotter::edge
