// Brings a database's schema up to date from the domains' migrations, on either engine.
#pragma once
#include <vector>

#include "spotter/cloud/storage.hpp"

namespace spotter::cloud {

// Applies each migration whose id is not yet in schema_migrations, in the order given,
// each in its own transaction with the record of it: a failure leaves the database at the
// last one that worked. Several instances starting at once on one PostgreSQL database apply
// each once (a transaction-scoped advisory lock; SQLite's write lock does the same). A
// database holding a migration this program does not know is newer than it: refused
// (error "newer_schema"), nothing touched. Returns how many ran.
Result<int> migrate(SqlDatabase& db, const std::vector<Migration>& migrations);

// Inside a transaction: waits for, then holds until it ends, the right to change what
// every instance shares at start (schema, first keys). PostgreSQL: an advisory lock;
// SQLite: the write lock the transaction already holds.
Status lock_schema(SqlDatabase& db);

}  // namespace spotter::cloud
