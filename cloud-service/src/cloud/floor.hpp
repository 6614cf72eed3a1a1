// The machine floor as the cloud sees it: who is linked where, queues, and the one place
// machine changes are turned into availability items and pushed to WebSocket clients.
#pragma once
#include "app.hpp"
#include "spotter/protocol/messages.hpp"

namespace spotter::cloud {

// Availability item for a machine row (kMachineColumns), its link and queue.
Json availability_item(const SqlRow& machine, bool linked, std::int64_t queue_length);
// Reloads the machine and pushes {"type":"machine_status", ...} to subscribers.
void publish_machine(App& app, const std::string& machine_id);
// Ends a link (if still active), notifies the first member queued for the machine, pushes
// the change. False if it was no longer active.
Result<bool> end_link(App& app, const std::string& link_id, const std::string& machine_id, std::string_view ended_by);
Status end_links_of_session(App& app, const std::string& session_id, std::string_view ended_by);
// The member a credential names: an NFC UID, or an access QR payload verified with the
// QR key (single use). A 400/404 when it names nobody.
Try<std::string> resolve_credential(App& app, const std::string& credential);
// A maintenance severity already checked to be "info", "warn" or "fault".
protocol::Severity severity_level(std::string_view name);

}  // namespace spotter::cloud
