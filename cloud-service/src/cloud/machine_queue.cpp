#include "machine_queue.hpp"

#include "floor.hpp"
#include "views.hpp"

namespace spotter::cloud {
namespace {

constexpr std::int64_t kDefaultLinkMs = 20 * 60 * 1000;

Try<bool> true_or_head(App& app, const std::string& machine_id, const std::string& user_id) {
  auto rows = app.db.query("SELECT user_id FROM machine_queue WHERE machine_id = ? ORDER BY seq LIMIT 1", {machine_id});
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "queue")};
  return rows->empty() || rows->front().text(0) == user_id;
}

// {position (1-based, 0 when not queued), queue_length, estimated_wait_s}
Try<Json> position_of(App& app, const std::string& machine_id, const std::string& user_id) {
  auto rows = app.db.query("SELECT user_id FROM machine_queue WHERE machine_id = ? ORDER BY seq", {machine_id});
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "queue")};
  std::int64_t position = 0;
  for (std::size_t i = 0; i < rows->size(); ++i)
    if ((*rows)[i].text(0) == user_id) position = static_cast<std::int64_t>(i) + 1;
  auto avg = app.db.query("SELECT AVG(ended_at - started_at) FROM (SELECT started_at, ended_at FROM machine_links "
                          "WHERE machine_id = ? AND ended_at IS NOT NULL ORDER BY started_at DESC LIMIT 20)", {machine_id});
  auto current = app.db.query("SELECT started_at FROM machine_links WHERE machine_id = ? AND ended_at IS NULL", {machine_id});
  if (!avg || !current) return Unexpected<HttpResponse>{storage_failure(app, !avg ? avg.error() : current.error(), "queue")};
  std::int64_t per_link = kDefaultLinkMs;
  if (!avg->empty() && !avg->front().is_null(0)) per_link = std::max<std::int64_t>(60'000, avg->front().integer(0));
  std::int64_t wait_ms = 0;
  if (!current->empty()) wait_ms = std::max<std::int64_t>(0, per_link - (app.now_ms() - current->front().integer(0)));
  const std::int64_t ahead = position > 0 ? position - 1 : static_cast<std::int64_t>(rows->size());
  wait_ms += ahead * per_link;
  return Json{{"machine_id", machine_id}, {"position", position}, {"queue_length", static_cast<std::int64_t>(rows->size())},
              {"estimated_wait_s", wait_ms / 1000}};
}

Try<std::string> machine_branch(App& app, const Caller& who, const std::string& machine_id) {
  auto rows = app.db.query("SELECT branch_id FROM machines WHERE id = ?", {machine_id});
  if (!rows) return Unexpected<HttpResponse>{storage_failure(app, rows.error(), "machine")};
  if (rows->empty() || !who.sees_branch(rows->front().text(0))) return reject(404, "not-found", "machine not found");
  return rows->front().text(0);
}

HttpResponse join(App& app, RequestContext& ctx) {
  if (ctx.who().role != Role::member) return forbidden("members queue for machines");
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(branch, machine_branch(app, ctx.who(), machine_id));
  auto inside = app.db.query("SELECT 1 FROM gym_sessions WHERE user_id = ? AND branch_id = ? AND status = 'active'", {ctx.who().id, branch});
  if (!inside) return storage_failure(app, inside.error(), "session");
  if (inside->empty()) return problem(409, "not-inside", "queue at a branch you are in");
  auto linked = app.db.query("SELECT user_id FROM machine_links WHERE machine_id = ? AND ended_at IS NULL", {machine_id});
  if (!linked) return storage_failure(app, linked.error(), "link");
  if (!linked->empty() && linked->front().text(0) == ctx.who().id) return problem(409, "already-linked", "you are using this machine");
  const std::int64_t now = app.now_ms();
  auto r = app.db.execute("INSERT INTO machine_queue (machine_id, user_id, joined_at, seq) VALUES (?, ?, ?, "
                          "(SELECT COALESCE(MAX(seq), 0) + 1 FROM machine_queue WHERE machine_id = ?))",
                          {machine_id, ctx.who().id, now, machine_id});
  if (!r) {
    if (r.error().code == "conflict") return problem(409, "already-queued", "you are in this machine's queue");
    return storage_failure(app, r.error(), "queue");
  }
  publish_machine(app, machine_id);
  SPOTTER_TRY(pos, position_of(app, machine_id, ctx.who().id));
  return json_response(201, pos);
}

HttpResponse leave(App& app, RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  if (!f.ok()) return f.problem();
  auto r = app.db.execute("DELETE FROM machine_queue WHERE machine_id = ? AND user_id = ?", {machine_id, ctx.who().id});
  if (!r) return storage_failure(app, r.error(), "queue");
  if (*r == 0) return problem(404, "not-queued", "you are not in this machine's queue");
  publish_machine(app, machine_id);
  return no_content();
}

HttpResponse status(App& app, RequestContext& ctx) {
  std::string machine_id(ctx.req.query_param("machine_id"));
  if (machine_id.empty()) return validation_problem({{"machine_id", "is required"}});
  SPOTTER_TRY(branch, machine_branch(app, ctx.who(), machine_id));
  (void)branch;
  SPOTTER_TRY(pos, position_of(app, machine_id, ctx.who().id));
  return json_response(200, pos);
}

}  // namespace

Try<bool> queue_turn(App& app, const std::string& machine_id, const std::string& user_id) { return true_or_head(app, machine_id, user_id); }

std::vector<Route> queue_routes() {
  return {
      {"POST", "/api/machines/queue/join", Access::user, join, "Join a busy machine's queue: position and estimated wait", "member with an active session at the branch"},
      {"POST", "/api/machines/queue/leave", Access::user, leave, "Leave a machine's queue", "member"},
      {"GET", "/api/machines/queue", Access::user, status, "The caller's position in a machine's queue (?machine_id=)", "any user who sees the branch"},
  };
}

}  // namespace spotter::cloud
