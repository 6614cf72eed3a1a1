#pragma once
#include "../../platform/domain.hpp"
#include "spotter/common/json.hpp"

namespace spotter::cloud {
// OpenAPI 3.0 from the route table itself, so the document cannot drift from the routes.
Json openapi_document(const std::vector<Route>& routes);
}
