#include "offline.hpp"

namespace spotter::cloud {

Offline::Offline(const std::string& db_url, const Clock& clock, Logger log)
    : parts_(AssemblyOptions{.db_url = db_url, .db_connections = 2, .instance_prefix = "tool"}, clock, std::move(log), metrics_, sockets_, ops::Health{}),
      applied_(parts_.migrate_only()) {}

}  // namespace spotter::cloud
