// Buddies, blocks, the feed and its moderation (cloud-api-2.md "Engagement"). A block ends
// the friendship and any pending request, and keeps the blocked member from asking again.
#include "../../core/fields.hpp"
#include "../../platform/responses.hpp"
#include "engagement.hpp"
#include "spotter/common/ids.hpp"

namespace spotter::cloud::engagement {

namespace {
Json request_json(const BuddyRequest& r) {
  return {{"id", r.id}, {"from_user_id", r.from_user}, {"to_user_id", r.to_user}, {"status", r.status}, {"created_at", rfc3339(r.created_at)}};
}
Json item_json(const FeedItem& i) {
  return {{"id", std::to_string(i.id)},
          {"user_id", i.user_id},
          {"kind", i.kind},
          {"at", rfc3339(i.at)},
          {"detail", parse_json_strict(i.payload).value_or(Json::object())}};
}
std::optional<std::int64_t> number_id(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}
}  // namespace

void EngagementDomain::social_routes(RouteTable& t) {
  auto bind = [this](HttpResponse (EngagementDomain::*fn)(RequestContext&)) { return [this, fn](RequestContext& c) { return (this->*fn)(c); }; };
  t.add({"POST", "/api/buddies/requests", Access::user, bind(&EngagementDomain::ask_buddy), "Ask a member to be buddies: user_id", "member"});
  t.add({"POST", "/api/buddies/requests/{id}/accept", Access::user, [this](RequestContext& c) { return answer_request(c, true); },
         "Accept a buddy request", "the member asked"});
  t.add({"POST", "/api/buddies/requests/{id}/decline", Access::user, [this](RequestContext& c) { return answer_request(c, false); },
         "Decline a buddy request", "the member asked"});
  t.add({"GET", "/api/buddies", Access::user, bind(&EngagementDomain::list_buddies), "The caller's buddies and pending requests", "member"});
  t.add({"DELETE", "/api/buddies/{user_id}", Access::user, bind(&EngagementDomain::remove_buddy), "Stop being buddies", "member"});
  t.add({"POST", "/api/users/{id}/block", Access::user, bind(&EngagementDomain::block_user),
         "Block a member: no requests from them, the friendship and pending requests end", "member"});
  t.add({"DELETE", "/api/users/{id}/block", Access::user, bind(&EngagementDomain::unblock_user), "Unblock a member", "member"});
  t.add({"GET", "/api/feed", Access::user, bind(&EngagementDomain::feed),
         "The caller's and buddies' training sessions, records and achievements, newest first; limit, cursor", "member"});
  t.add({"POST", "/api/feed/{id}/report", Access::user, bind(&EngagementDomain::report_item), "Report a feed item (reason?); once per member",
         "member who sees it"});
  t.add({"GET", "/api/moderation/reports", Access::user, bind(&EngagementDomain::open_reports), "Open reports, newest first", "admin; trainers (own branches)"});
  t.add({"POST", "/api/moderation/reports/{id}/hide", Access::user, bind(&EngagementDomain::hide_reported),
         "Hide the reported item from every feed", "admin; trainers (own branches)"});
}

HttpResponse EngagementDomain::ask_buddy(RequestContext& ctx) {
  const std::string& me = ctx.who().id;
  if (ctx.who().role != Role::member) return forbidden("members have buddies");
  SPOTTER_TRY(body, parse_body(ctx.req));
  Fields f(body);
  const std::string other = f.id("user_id");
  if (!f.ok()) return f.problem();
  if (other == me) return validation_problem({{"user_id", "cannot be yourself"}});
  SPOTTER_TRY(exists, checked(platform_.log, org_.user_exists(other), "user"));
  if (!exists) return not_found("member");
  BuddyRequest r{new_id("bud", platform_.now_ms()), me, other, "pending", platform_.now_ms()};
  std::optional<HttpResponse> refused;
  // The first rule that refuses answers; checked and written in one transaction.
  auto tx = platform_.db.transaction([&]() -> Status {
    auto refuse_if = [&](Result<bool> cond, HttpResponse answer) -> Status {
      if (!cond) return Unexpected<Error>{cond.error()};
      if (*cond && !refused) refused = std::move(answer);
      return {};
    };
    auto privacy = org_.privacy(other);
    if (!privacy) return Unexpected<Error>{privacy.error()};
    auto theirs = social_.pending_between(other, me), mine = social_.pending_between(me, other);
    if (!theirs || !mine) return Unexpected<Error>{!theirs ? theirs.error() : mine.error()};
    SPOTTER_SQL(refuse_if(social_.blocked(other, me), forbidden("this member does not take buddy requests from you")));
    SPOTTER_SQL(refuse_if(!privacy->allow_buddy_requests, forbidden("this member does not take buddy requests from you")));
    SPOTTER_SQL(refuse_if(social_.blocked(me, other), problem(409, "blocked", "you blocked this member: unblock them first")));
    SPOTTER_SQL(refuse_if(social_.are_buddies(me, other), problem(409, "already-buddies", "you are buddies already")));
    SPOTTER_SQL(refuse_if(theirs->has_value(), problem(409, "asked-you", "this member already asked you: accept their request")));
    SPOTTER_SQL(refuse_if(mine->has_value(), problem(409, "already-asked", "you asked this member already")));
    if (refused) return {};
    return social_.insert_request(r);
  });
  SPOTTER_TRY(ok, checked(platform_.log, tx, "buddy request"));
  (void)ok;
  if (refused) return *refused;
  platform_.outbox.notify(other, "buddy_request", {{"request_id", r.id}, {"from_user_id", me}});
  return json_response(201, request_json(r));
}

HttpResponse EngagementDomain::answer_request(RequestContext& ctx, bool accept) {
  const std::string& id = ctx.param("id");
  if (!is_valid_id(id)) return not_found("buddy request");
  SPOTTER_TRY(r, checked(platform_.log, social_.request(id), "buddy request"));
  if (!r || r->to_user != ctx.who().id) return not_found("buddy request");
  bool answered = false;
  const std::int64_t now = platform_.now_ms();
  auto tx = platform_.db.transaction([&]() -> Status {
    auto a = social_.answer(id, accept ? "accepted" : "declined", now);
    if (!a) return Unexpected<Error>{a.error()};
    answered = *a;
    if (answered && accept) return social_.befriend(r->from_user, r->to_user, now);
    return {};
  });
  SPOTTER_TRY(ok, checked(platform_.log, tx, "buddy request"));
  (void)ok;
  if (!answered) return problem(409, "answered", "this request was answered before");
  r->status = accept ? "accepted" : "declined";
  return json_response(200, request_json(*r));
}

HttpResponse EngagementDomain::list_buddies(RequestContext& ctx) {
  const std::string& me = ctx.who().id;
  SPOTTER_TRY(rows, checked(platform_.log, social_.buddies(me), "buddies"));
  SPOTTER_TRY(pending, checked(platform_.log, social_.pending_of(me), "buddies"));
  std::vector<std::string> ids;
  for (const auto& [id, since] : rows) ids.push_back(id);
  SPOTTER_TRY(names, checked(platform_.log, org_.display_names(ids), "buddies"));
  Json items = Json::array(), in = Json::array(), out = Json::array();
  for (const auto& [id, since] : rows) {
    auto n = names.find(id);
    items.push_back({{"user_id", id}, {"display_name", n == names.end() ? "" : n->second}, {"since", rfc3339(since)}});
  }
  for (const auto& r : pending) (r.to_user == me ? in : out).push_back(request_json(r));
  return json_response(200, {{"items", items}, {"requests_in", in}, {"requests_out", out}});
}

HttpResponse EngagementDomain::remove_buddy(RequestContext& ctx) {
  const std::string& other = ctx.param("user_id");
  if (!is_valid_id(other)) return not_found("buddy");
  SPOTTER_TRY(gone, checked(platform_.log, social_.unfriend(ctx.who().id, other), "buddies"));
  if (!gone) return not_found("buddy");
  return HttpResponse{204, "application/json", "", {}};
}

HttpResponse EngagementDomain::block_user(RequestContext& ctx) {
  const std::string& me = ctx.who().id;
  const std::string& other = ctx.param("id");
  if (!is_valid_id(other)) return not_found("member");
  if (other == me) return validation_problem({{"id", "cannot be yourself"}});
  SPOTTER_TRY(exists, checked(platform_.log, org_.user_exists(other), "user"));
  if (!exists) return not_found("member");
  const std::int64_t now = platform_.now_ms();
  auto tx = platform_.db.transaction([&]() -> Status {
    SPOTTER_SQL(social_.block(me, other, now));
    auto gone = social_.unfriend(me, other);
    if (!gone) return Unexpected<Error>{gone.error()};
    return social_.decline_between(me, other, now);
  });
  SPOTTER_TRY(ok, checked(platform_.log, tx, "block"));
  (void)ok;
  return json_response(200, {{"user_id", other}, {"blocked", true}});
}

HttpResponse EngagementDomain::unblock_user(RequestContext& ctx) {
  const std::string& other = ctx.param("id");
  if (!is_valid_id(other)) return not_found("block");
  SPOTTER_TRY(gone, checked(platform_.log, social_.unblock(ctx.who().id, other), "block"));
  if (!gone) return not_found("block");
  return HttpResponse{204, "application/json", "", {}};
}

HttpResponse EngagementDomain::feed(RequestContext& ctx) {
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(before, integer_cursor(page));
  SPOTTER_TRY(rows, checked(platform_.log, social_.feed(ctx.who().id, before, page.limit + 1), "feed"));
  Json items = Json::array();
  for (const auto& i : rows) items.push_back(item_json(i));
  return json_response(200, page_json(std::move(items), page, [](const Json& i) { return i["id"].get<std::string>(); }));
}

HttpResponse EngagementDomain::report_item(RequestContext& ctx) {
  const auto id = number_id(ctx.param("id"));
  if (!id) return not_found("feed item");
  std::string reason = "inappropriate";
  if (!ctx.req.body.empty()) {
    SPOTTER_TRY(body, parse_body(ctx.req));
    Fields f(body);
    if (auto r = f.optional_text("reason", 500)) reason = *r;
    if (!f.ok()) return f.problem();
  }
  const std::string& me = ctx.who().id;
  SPOTTER_TRY(item, checked(platform_.log, social_.item(*id), "feed item"));
  if (!item) return not_found("feed item");
  // Only what the caller's feed shows them can be reported by them.
  bool visible = item->user_id == me;
  if (!visible) {
    SPOTTER_TRY(buddy, checked(platform_.log, social_.are_buddies(me, item->user_id), "feed item"));
    visible = buddy;
  }
  if (!visible) return not_found("feed item");
  SPOTTER_TRY(first, checked(platform_.log, social_.report(*id, me, reason, platform_.now_ms()), "report"));
  if (!first) return problem(409, "already-reported", "you reported this item before");
  return json_response(201, {{"item_id", std::to_string(*id)}, {"status", "open"}});
}

HttpResponse EngagementDomain::open_reports(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return forbidden("staff moderate the feed");
  SPOTTER_TRY(page, read_page(ctx.req));
  SPOTTER_TRY(before, integer_cursor(page));
  SPOTTER_TRY(rows, checked(platform_.log, social_.open_reports(before, page.limit + 1), "reports"));
  Json items = Json::array();
  for (const auto& r : rows) {
    if (!who.is_admin() && (!r.branch_id || !who.manages_branch(*r.branch_id))) continue;
    SPOTTER_TRY(item, checked(platform_.log, social_.item(r.item_id), "reports"));
    items.push_back({{"id", std::to_string(r.id)}, {"item", item ? item_json(*item) : Json(nullptr)}, {"reporter_id", r.reporter_id},
                     {"reason", r.reason}, {"at", rfc3339(r.at)}});
  }
  return json_response(200, page_json(std::move(items), page, [](const Json& i) { return i["id"].get<std::string>(); }));
}

HttpResponse EngagementDomain::hide_reported(RequestContext& ctx) {
  const Caller& who = ctx.who();
  if (!who.is_staff()) return forbidden("staff moderate the feed");
  const auto id = number_id(ctx.param("id"));
  if (!id) return not_found("report");
  SPOTTER_TRY(r, checked(platform_.log, social_.report_by_id(*id), "report"));
  if (!r || (!who.is_admin() && (!r->branch_id || !who.manages_branch(*r->branch_id)))) return not_found("report");
  SPOTTER_TRY(ok, checked(platform_.log, social_.hide_item(r->item_id, platform_.now_ms()), "report"));
  (void)ok;
  platform_.audit.record(ctx, "feed.hide", std::to_string(r->item_id), {{"report_id", std::to_string(*id)}});
  return json_response(200, {{"id", std::to_string(*id)}, {"item_id", std::to_string(r->item_id)}, {"status", "hidden"}});
}

}  // namespace spotter::cloud::engagement
