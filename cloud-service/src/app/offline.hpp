// The service's storage, platform and domains without HTTP, threads or jobs: what the
// administrative commands (`migrate`, `admin create`, `import`, `keys rotate`) work with,
// so they change data through the same domains, rules and events as the service.
#pragma once
#include <memory>

#include "spotter/common/clock.hpp"
#include "spotter/common/log.hpp"

namespace spotter::cloud {

class Domains;
struct Platform;

class Offline {
 public:
  // Opens the database and brings its schema up to date. Throws like Service::start.
  Offline(const std::string& db_url, const Clock& clock, Logger log);
  ~Offline();
  Domains& domains();
  Platform& platform();
  int migrations_applied() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace spotter::cloud
