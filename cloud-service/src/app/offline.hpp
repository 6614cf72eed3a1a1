// The service's storage, platform and domains without HTTP, threads or jobs: what the
// administrative commands (`migrate`, `admin create`, `import`, `keys rotate`) work with,
// so they change data through the same domains, rules and events as the service.
#pragma once
#include <memory>

#include "assembly.hpp"

namespace spotter::cloud {

class Offline {
 public:
  // Opens the database and brings its schema up to date; the signing keys are not loaded
  // (no tool signs). Throws like Service::start.
  Offline(const std::string& db_url, const Clock& clock, Logger log);
  Domains& domains() { return parts_.domains; }
  Platform& platform() { return parts_.platform; }
  int migrations_applied() const { return applied_; }

 private:
  // Nobody is connected to a command-line tool.
  struct NoSockets final : LiveUpdates {
    void to_branch(const std::string&, const std::string&, const Json&) override {}
    void to_user(const std::string&, const std::string&, const Json&) override {}
  };
  NoSockets sockets_;
  Metrics metrics_;
  Assembly parts_;
  int applied_ = 0;
};

}  // namespace spotter::cloud
