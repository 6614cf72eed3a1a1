// A queue per busy machine: members join, leave, see their position and an estimated wait
// (position x the machine's recent average link length). The first in line may link next.
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "machines.hpp"

namespace spotter::cloud::machines {
namespace {

constexpr std::int64_t kDefaultLinkMs = 20 * 60 * 1000;

}  // namespace

// {position (1-based, 0 when not queued), queue_length, estimated_wait_s}
Try<Json> MachinesDomain::queue_position(const std::string& machine_id, const std::string& user_id) {
  SPOTTER_TRY(queue, checked(platform_.log, store_.queue(machine_id), "queue"));
  std::int64_t position = 0;
  for (std::size_t i = 0; i < queue.size(); ++i)
    if (queue[i] == user_id) position = static_cast<std::int64_t>(i) + 1;
  SPOTTER_TRY(average, checked(platform_.log, store_.average_link_ms(machine_id), "queue"));
  SPOTTER_TRY(current, checked(platform_.log, store_.active_link_of_machine(machine_id), "queue"));
  const std::int64_t per_link = average ? std::max<std::int64_t>(60'000, static_cast<std::int64_t>(*average)) : kDefaultLinkMs;
  std::int64_t wait_ms = 0;
  if (current) wait_ms = std::max<std::int64_t>(0, per_link - (platform_.now_ms() - current->started_at));
  const std::int64_t ahead = position > 0 ? position - 1 : static_cast<std::int64_t>(queue.size());
  wait_ms += ahead * per_link;
  return Json{{"machine_id", machine_id}, {"position", position}, {"queue_length", static_cast<std::int64_t>(queue.size())},
              {"estimated_wait_s", wait_ms / 1000}};
}

HttpResponse MachinesDomain::join_queue(RequestContext& ctx) {
  if (ctx.who().role != Role::member) return forbidden("members queue for machines");
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  if (!f.ok()) return f.problem();
  SPOTTER_TRY(machine, checked(platform_.log, store_.machine(machine_id), "machine"));
  if (!machine || !ctx.who().sees_branch(machine->branch_id)) return not_found("machine");
  SPOTTER_TRY(inside, checked(platform_.log, sessions_.active_visit_at(ctx.who().id, machine->branch_id), "session"));
  if (!inside) return problem(409, "not-inside", "queue at a branch you are in");
  SPOTTER_TRY(linked, checked(platform_.log, store_.active_link_of_machine(machine_id), "link"));
  if (linked && linked->user_id == ctx.who().id) return problem(409, "already-linked", "you are using this machine");
  auto tx = platform_.db.transaction([&]() -> Status {
    if (auto r = store_.join_queue(machine_id, ctx.who().id, platform_.now_ms()); !r) return r;
    return changed(machine_id, machine->branch_id);
  });
  if (!tx) {
    if (tx.error().code == sql_error::conflict) return problem(409, "already-queued", "you are in this machine's queue");
    return storage_failure(platform_.log, tx.error(), "queue");
  }
  SPOTTER_TRY(pos, queue_position(machine_id, ctx.who().id));
  return json_response(201, pos);
}

HttpResponse MachinesDomain::leave_queue(RequestContext& ctx) {
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  std::string machine_id = f.id("machine_id");
  if (!f.ok()) return f.problem();
  bool left = false;
  SPOTTER_DO(checked(platform_.log, platform_.db.transaction([&]() -> Status {
                       auto r = store_.leave_queue(machine_id, ctx.who().id);
                       if (!r) return Unexpected<Error>{r.error()};
                       left = *r;
                       if (!left) return {};
                       auto branch = branch_of(machine_id);
                       if (!branch) return Unexpected<Error>{branch.error()};
                       return changed(machine_id, branch->value_or(""));
                     }),
                     "queue"));
  if (!left) return problem(404, "not-queued", "you are not in this machine's queue");
  return no_content();
}

HttpResponse MachinesDomain::queue_status(RequestContext& ctx) {
  std::string machine_id(ctx.req.query_param("machine_id"));
  if (machine_id.empty()) return validation_problem({{"machine_id", "is required"}});
  SPOTTER_TRY(machine, checked(platform_.log, store_.machine(machine_id), "machine"));
  if (!machine || !ctx.who().sees_branch(machine->branch_id)) return not_found("machine");
  SPOTTER_TRY(pos, queue_position(machine_id, ctx.who().id));
  return json_response(200, pos);
}

}  // namespace spotter::cloud::machines
