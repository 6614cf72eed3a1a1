#include "floor.hpp"

#include <cctype>

#include "spotter/common/access_qr.hpp"
#include "views.hpp"

namespace spotter::cloud {

Json availability_item(const SqlRow& m, bool linked, std::int64_t queue_length) {
  std::string state = m.text(5);
  // A linked machine that reports idle is in use as far as members are concerned.
  if (linked && state == "idle") state = "in_use";
  return {{"machine_id", m.text(0)}, {"branch_id", m.text(1)}, {"name", m.text(2)}, {"category", m.text(3)},
          {"type", m.text(4)}, {"state", state}, {"linked", linked}, {"queue_length", queue_length},
          {"last_seen_at", rfc3339_or_null(m.optional_integer(6))},
          {"maintenance_code", m.is_null(7) ? Json(nullptr) : Json(m.text(7))}};
}

void publish_machine(App& app, const std::string& machine_id) {
  auto rows = app.db.query(std::string("SELECT ") + kMachineColumns +
                               ", (SELECT COUNT(*) FROM machine_links l WHERE l.machine_id = m.id AND l.ended_at IS NULL)"
                               ", (SELECT COUNT(*) FROM machine_queue q WHERE q.machine_id = m.id) FROM machines m WHERE m.id = ?",
                           {machine_id});
  if (!rows || rows->empty()) return;
  const auto& r = rows->front();
  app.availability.invalidate(r.text(1));
  if (!app.events) return;
  Json event = availability_item(r, r.integer(8) > 0, r.integer(9));
  event["type"] = "machine_status";
  event["at"] = rfc3339(app.now_ms());
  app.events->publish(r.text(1), machine_id, event);
}

Result<bool> end_link(App& app, const std::string& link_id, const std::string& machine_id, std::string_view ended_by) {
  auto changed = app.db.execute("UPDATE machine_links SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL",
                                {app.now_ms(), std::string(ended_by), link_id});
  if (!changed) return Unexpected<Error>{changed.error()};
  if (*changed == 0) return false;
  auto next = app.db.query("SELECT user_id FROM machine_queue WHERE machine_id = ? ORDER BY seq LIMIT 1", {machine_id});
  if (next && !next->empty())
    notify(app, next->front().text(0), "machine_free", {{"machine_id", machine_id}, {"message", "the machine you queued for is free"}});
  publish_machine(app, machine_id);
  return true;
}

Status end_links_of_session(App& app, const std::string& session_id, std::string_view ended_by) {
  auto links = app.db.query("SELECT id, machine_id FROM machine_links WHERE session_id = ? AND ended_at IS NULL", {session_id});
  if (!links) return Unexpected<Error>{links.error()};
  for (const auto& l : *links) {
    auto r = end_link(app, l.text(0), l.text(1), ended_by);
    if (!r) return Unexpected<Error>{r.error()};
  }
  return {};
}

Try<std::string> resolve_credential(App& app, const std::string& credential) {
  if (credential.find('.') != std::string::npos) {
    auto claims = access_qr::verify(credential, app.qr_verifier, app.clock);
    if (!claims) return Unexpected<HttpResponse>{validation_problem({{"credential", "is not a valid, unexpired access QR code"}})};
    // Single use, as at the door: a screenshot passed on does not work twice.
    auto used = app.db.execute("INSERT INTO qr_used (jti, used_at) VALUES (?, ?)", {claims->jti, app.now_ms()});
    if (!used) {
      if (used.error().code == "conflict") return Unexpected<HttpResponse>{validation_problem({{"credential", "this access QR code was already used"}})};
      return Unexpected<HttpResponse>{storage_failure(app, used.error(), "QR replay cache")};
    }
    return claims->member_id;
  }
  std::string uid;
  for (char c : credential) uid.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  auto rows = app.db.query("SELECT user_id FROM credentials WHERE uid = ? AND revoked_at IS NULL", {uid});
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "credential")};
  if (rows->empty()) return Unexpected<HttpResponse>{problem(404, "unknown-credential", "no active credential has this UID")};
  return rows->front().text(0);
}

protocol::Severity severity_level(std::string_view name) {
  if (name == "fault") return protocol::Severity::fault;
  return name == "warn" ? protocol::Severity::warn : protocol::Severity::info;
}

}  // namespace spotter::cloud
