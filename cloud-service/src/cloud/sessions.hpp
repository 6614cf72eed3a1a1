// Session rules shared by the handlers, the jobs and (later) the gateway sync.
#pragma once
#include "app.hpp"
#include "spotter/common/opening_hours.hpp"

namespace spotter::cloud {

// The branch's calendar as stored now; null when there is no such branch.
Try<std::shared_ptr<const BranchCalendar>> load_calendar(App& app, const std::string& branch_id);
// Why this member may not enter this branch now (403 problem), or nothing.
Try<std::optional<HttpResponse>> entry_refusal(App& app, const std::string& user_id, const std::string& branch_id, std::int64_t now_ms);
// Ends an active session and its machine links. False when it was not active any more.
Try<bool> close_session(App& app, const std::string& session_id, std::int64_t ended_at_ms, std::string_view ended_by);
// The session with `machines` (its links) and live `duration_s`.
Try<std::optional<Json>> session_with_machines(App& app, const std::string& session_id);
// The same for a session row already in hand (kSessionColumns): reads only its links.
Try<Json> session_view(App& app, const SqlRow& session);

}  // namespace spotter::cloud
