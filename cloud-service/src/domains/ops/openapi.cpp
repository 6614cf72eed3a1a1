#include "openapi.hpp"

#include <cctype>

#include "spotter/common/version.hpp"

namespace spotter::cloud {

Json openapi_document(const std::vector<Route>& routes) {
  Json paths = Json::object();
  for (const auto& r : routes) {
    Json op = {{"summary", r.summary}, {"description", "Who may call: " + r.who + "."}};
    Json params = Json::array();
    for (std::size_t at = r.pattern.find('{'); at != std::string::npos; at = r.pattern.find('{', at + 1)) {
      const auto end = r.pattern.find('}', at);
      params.push_back({{"name", r.pattern.substr(at + 1, end - at - 1)}, {"in", "path"}, {"required", true},
                        {"schema", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_-]{1,64}$"}}}});
    }
    if (!params.empty()) op["parameters"] = params;
    if (r.method == "POST") op["requestBody"] = {{"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    op["security"] = r.access == Access::open ? Json::array() : Json::array({{{"bearer", Json::array()}}});
    Json problem_ref = {{"$ref", "#/components/responses/Problem"}};
    op["responses"] = {{r.method == "POST" && r.pattern.find("/auth/") == std::string::npos ? "201" : "200", {{"description", "success"}}},
                       {"400", problem_ref}, {"401", problem_ref}, {"403", problem_ref}, {"404", problem_ref}, {"409", problem_ref}, {"429", problem_ref}};
    std::string method = r.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    paths[r.pattern][method] = op;
  }
  paths["/api/ws/machines"]["get"] = {
      {"summary", "WebSocket: machine_status pushes for the branches the caller may see"},
      {"description", "Upgrade to WebSocket. Token as ?access_token= or a first message {\"type\":\"auth\",\"access_token\":...}. "
                      "Optional ?branch_id= (repeatable via subscribe messages {\"type\":\"subscribe\",\"branch_ids\":[...]}). "
                      "Slow clients get the latest state per machine (older updates are coalesced)."},
      {"responses", {{"101", {{"description", "switching protocols"}}}, {"401", {{"$ref", "#/components/responses/Problem"}}}}}};
  Json problem_schema = {{"type", "object"},
                         {"properties", {{"type", {{"type", "string"}}}, {"title", {{"type", "string"}}}, {"status", {{"type", "integer"}}},
                                         {"detail", {{"type", "string"}}}, {"errors", {{"type", "array"}}}}}};
  Json problem_response = {{"description", "RFC 9457 problem details"},
                           {"content", {{"application/problem+json", {{"schema", problem_schema}}}}}};
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "Spotter cloud API"}, {"version", std::string(kVersion)}}},
          {"paths", paths},
          {"components", {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}}}},
                          {"responses", {{"Problem", problem_response}}}}}};
}

}  // namespace spotter::cloud
