#include "pg_common.hpp"

#include <cstring>

#include "pg_database.hpp"

namespace spotter::cloud {
namespace {

std::string first_line(const char* message) {
  std::string s = message ? message : "";
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

std::string_view classify(std::string_view state) {
  if (state == "23505" || state == "23P01") return sql_error::conflict;
  if (state == "23503") return sql_error::reference;
  if (state.substr(0, 2) == "23" || state.substr(0, 2) == "22") return sql_error::constraint;
  if (state == "40001" || state == "40P01") return sql_error::retry;
  // Connection exceptions, insufficient resources (disk full, too many connections),
  // operator intervention (shutdown, crash recovery, a statement timeout), a lock wait cut.
  if (state.substr(0, 2) == "08" || state.substr(0, 2) == "53" || state.substr(0, 2) == "57" || state == "55P03" || state == "58030")
    return sql_error::unavailable;
  return sql_error::sql;
}

}  // namespace

Result<PGconn*> open_connection(const std::string& url) {
  // The URL comes last, so what it sets wins over these defaults (libpq: the last value of
  // a repeated keyword is used; dbname is expanded as a connection string).
  const char* keys[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                        "client_encoding", "application_name", "options", "dbname", nullptr};
  const char* values[] = {"3", "1", "10", "3", "3", "10000", "UTF8", "spotter-cloud",
                          "-c statement_timeout=30000 -c idle_in_transaction_session_timeout=60000", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (!conn) return fail(std::string(sql_error::unavailable), "out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = first_line(PQerrorMessage(conn));
    PQfinish(conn);
    return fail(std::string(sql_error::unavailable), why);
  }
  // Notices ("relation already exists, skipping") are for people at a psql prompt; libpq
  // would print them on stderr between the service's JSON log lines.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return conn;
}

Error pg_error(PGconn* conn, const PGresult* result) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (!state || PQstatus(conn) != CONNECTION_OK)
    return Error{std::string(sql_error::unavailable), "connection lost: " + first_line(PQerrorMessage(conn))};
  // Data and constraint errors can quote a bound value in their message: only the state
  // and the constraint's name are kept of them. Others say what went wrong.
  const std::string_view kind = classify(state);
  if (state[0] == '2' && (state[1] == '2' || state[1] == '3')) {
    const char* constraint = PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME);
    return Error{std::string(kind), std::string(state) + (constraint ? std::string(" on ") + constraint : std::string())};
  }
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  return Error{std::string(kind), std::string(state) + " " + (primary ? primary : "")};
}

std::string redacted_url(const std::string& url) {
  // postgresql://user:password@host/... -> postgresql://user:***@host/...
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto at = url.find('@', scheme + 3);
  const auto slash = url.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace spotter::cloud
