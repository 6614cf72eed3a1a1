// Fingerprint credentials (cloud-api-2.md "Chain operations"): enrolment by staff, the
// template sealed at rest with the service's key (AES-256-GCM, the credential id as
// additional data) and never returned by a route, and the templates a branch's gateway
// passes on to its readers (PROTOCOL.md 4.4).
#include "../../platform/responses.hpp"
#include "org.hpp"
#include "spotter/common/encoding.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::org {
namespace {

constexpr std::size_t kMaxTemplateBytes = 4096;
const std::vector<std::string> kFingers = {"left_thumb",  "left_index",  "left_middle",  "left_ring",  "left_little",
                                           "right_thumb", "right_index", "right_middle", "right_ring", "right_little"};

}  // namespace

HttpResponse OrgDomain::add_fingerprint(RequestContext& ctx, Fields& f) {
  const std::string finger = f.choice("finger", kFingers);
  // 4,096 bytes are 5,464 characters of base64.
  const std::string text = f.text("template", 5464 + 4);
  auto raw = base64_decode(text);
  if (!text.empty() && (!raw || raw->empty() || raw->size() > kMaxTemplateBytes)) f.add_error("template", "must be base64 of 1 to 4096 bytes");
  if (!f.ok()) return f.problem();
  const auto& key = platform_.settings.fingerprint_key;
  if (key.size() != crypto::kAesKeySize)
    return problem(503, "fingerprints-off", "fingerprint enrolment needs the service started with --fingerprint-key");
  const std::string user_id = ctx.param("id");
  SPOTTER_TRY(access, checked(platform_.log, user_access(ctx.who(), user_id), "user"));
  if (access != UserAccess::ok) return user_access_problem(access);
  const std::int64_t now = platform_.now_ms();
  const std::string id = new_id("cred", now);
  auto sealed = crypto::seal(key, *raw, crypto::as_bytes(id));
  if (!sealed) return storage_failure(platform_.log, Error{"crypto", sealed.error().message}, "fingerprint");
  auto tx = platform_.db.transaction([&]() -> Status {
    if (auto r = store_.insert_fingerprint(id, user_id, finger, base64_encode(*sealed), now); !r) return r;
    return member_changed(user_id);
  });
  if (!tx) {
    if (tx.error().code == sql_error::conflict) return problem(409, "finger-enrolled", "this finger is enrolled already; delete it first");
    return storage_failure(platform_.log, tx.error(), "fingerprint");
  }
  platform_.audit.record(ctx, "credential.add", id, {{"user_id", user_id}, {"kind", "fingerprint"}, {"finger", finger}});
  return json_response(201, {{"id", id}, {"user_id", user_id}, {"kind", "fingerprint"}, {"finger", finger}, {"created_at", rfc3339(now)},
                             {"revoked_at", nullptr}});
}

Result<Json> OrgDomain::replica_people(const std::string& branch_id, const std::optional<std::string>& one) {
  auto people = store_.replica_people(branch_id, one, platform_.now_ms());
  if (!people) return people;
  Json opened = Json::array();
  const auto& key = platform_.settings.fingerprint_key;
  for (auto& p : (*people)["fingerprints"]) {
    const std::string id = p["credential_id"].get<std::string>();
    auto raw = base64_decode(p["sealed"].get<std::string>());
    auto plain = raw && key.size() == crypto::kAesKeySize ? crypto::open(key, *raw, crypto::as_bytes(id))
                                                         : Result<crypto::Bytes>(fail("crypto", "no key"));
    if (!plain) {
      // A wrong or missing --fingerprint-key: the reader gets nothing rather than garbage.
      platform_.log.error("a fingerprint template cannot be opened; not sent to the gateway", {{"credential_id", id}});
      continue;
    }
    p.erase("sealed");
    p["template"] = base64_encode(*plain);
    opened.push_back(std::move(p));
  }
  (*people)["fingerprints"] = std::move(opened);
  return people;
}

}  // namespace spotter::cloud::org
