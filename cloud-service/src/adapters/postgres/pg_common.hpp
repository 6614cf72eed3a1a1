// Internal to the PostgreSQL adapter: opening a connection, and classifying failures by
// SQLSTATE (never by message text).
#pragma once
#include <libpq-fe.h>

#include <string>

#include "spotter/cloud/storage.hpp"

namespace spotter::cloud {

// A connection with the adapter's settings: 3 s connect timeout, TCP keepalives and a
// 10 s user timeout (a dead server is noticed, never waited on for ever), statements cut
// at 30 s, UTF-8. Settings in the URL win. The error message names no password.
Result<PGconn*> open_connection(const std::string& url);

// sql_error::* for a failed result (or a connection that broke before one came).
Error pg_error(PGconn* conn, const PGresult* result);

}  // namespace spotter::cloud
