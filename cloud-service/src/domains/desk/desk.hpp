// The front-desk page at /desk/ (docs/desk.md): static HTML, CSS and JavaScript modules
// served from the program itself, with headers that keep the page to its own origin. The
// page talks to the same API as any client; this domain has no tables and no rules.
#pragma once
#include "../../platform/platform.hpp"

namespace spotter::cloud::desk {

class DeskDomain final : public Domain {
 public:
  explicit DeskDomain(Platform&) {}
  std::string_view name() const override { return "desk"; }
  std::vector<Migration> migrations() const override { return {}; }
  void routes(RouteTable& table) override;
};

// "text/html; charset=utf-8" for "index.html", and so on; octet-stream when unknown.
std::string_view content_type_of(std::string_view file_name);

}  // namespace spotter::cloud::desk
