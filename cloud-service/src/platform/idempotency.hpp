// Idempotency-Key (cloud-api-2.md "General additions"): a client that retries a request
// after a timeout gets the first answer again instead of a second sale or redemption.
//
// Contract: `work` runs inside one transaction together with the key's row, keyed by the
// caller and the key. The first request with a key runs `work`; a success (2xx) is stored
// with the key and committed with what `work` wrote; a failure rolls everything back, key
// included, so a retry runs again. A later request with the same key and the same body gets
// the stored answer (header `Idempotency-Replayed: true`); with a different body, 409 (cloud-api-2.md). Two
// requests with one key at once: the second waits on the key's row (a unique index) and then
// gets the first one's answer. Without the header, `work` runs in a transaction of its own.
// Keys are kept 24 hours (prune_idempotency_keys, run by the ops domain's cleanup job).
#pragma once
#include <functional>
#include <string_view>

#include "domain.hpp"
#include "platform.hpp"

namespace spotter::cloud {

HttpResponse idempotent(Platform& platform, RequestContext& ctx, std::string_view scope, const std::function<HttpResponse()>& work);

// Keys older than a day; how many went.
Result<std::int64_t> prune_idempotency_keys(SqlDatabase& db, std::int64_t now_ms);
// An erased person's stored answers (they hold what they bought, redeemed, ...).
Status forget_idempotency_keys(SqlDatabase& db, const std::string& owner);

}  // namespace spotter::cloud
