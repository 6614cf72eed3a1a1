#include "spotter/edge/sqlite_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <stdexcept>

#include "schema.hpp"
#include "spotter/edge/workout_aggregate.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::edge {
namespace {

std::string join(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    auto comma = s.find(',', start);
    out.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Resets a cached statement when a read is done, so no read transaction stays open.
struct Use {
  SQLite::Statement& q;
  explicit Use(SQLite::Statement& s) : q(s) {}
  ~Use() {
    try {
      q.reset();
    } catch (const SQLite::Exception&) {
    }
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
};

MemberRecord read_member(SQLite::Statement& q) {
  return {q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt() != 0};
}

}  // namespace

struct SqliteEdgeStore::Impl {
  SQLite::Database db;
  // Prepared once: door decisions are the hot path.
  SQLite::Statement by_card, by_id, memberships, open_session, qr_used;

  explicit Impl(const std::filesystem::path& file)
      : db(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 5000),
        by_card(prepare_after_migration(db, file),
                "SELECT m.id, m.display_name, m.suspended FROM cards c JOIN members m ON m.id = c.member_id "
                "WHERE c.uid = ? AND c.blocked = 0"),
        by_id(db, "SELECT id, display_name, suspended FROM members WHERE id = ?"),
        memberships(db, "SELECT id, member_id, starts_at_ms, expires_at_ms, suspended, branch_ids FROM memberships WHERE member_id = ?"),
        open_session(db, "SELECT id, member_id, branch_id, started_at_ms, entry_door FROM sessions WHERE member_id = ? AND ended_at_ms IS NULL"),
        qr_used(db, "SELECT 1 FROM qr_used WHERE jti = ?") {}

  // Runs before the statements are prepared, so they see the current schema.
  static SQLite::Database& prepare_after_migration(SQLite::Database& db, const std::filesystem::path&) {
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA synchronous=FULL");
    db.exec("PRAGMA foreign_keys=ON");
    // Telemetry batches of thousands of rows must not spill pages to the WAL mid-transaction
    // (measured: spills made the store thread the ingest bottleneck). 16 MiB at most.
    db.exec("PRAGMA cache_size=-16384");
    int version = db.execAndGet("PRAGMA user_version").getInt();
    if (version > static_cast<int>(schema::kMigrations.size())) {
      throw std::runtime_error("database schema is newer (" + std::to_string(version) + ") than this spotter-edge knows");
    }
    for (int v = version; v < static_cast<int>(schema::kMigrations.size()); ++v) {
      SQLite::Transaction t(db);
      db.exec(schema::kMigrations[static_cast<std::size_t>(v)]);
      db.exec("PRAGMA user_version = " + std::to_string(v + 1));
      t.commit();
    }
    return db;
  }
};

SqliteEdgeStore::SqliteEdgeStore(const std::filesystem::path& file) {
  try {
    impl_ = std::make_unique<Impl>(file);
  } catch (const SQLite::Exception& e) {
    throw std::runtime_error("cannot open the database " + file.string() + ": " + e.what());
  }
}

SqliteEdgeStore::~SqliteEdgeStore() = default;

int SqliteEdgeStore::schema_version() const { return impl_->db.execAndGet("PRAGMA user_version").getInt(); }

Status SqliteEdgeStore::import_replica(const ReplicaSnapshot& s) {
  try {
    auto& db = impl_->db;
    SQLite::Transaction t(db);
    for (const char* table : {"branch", "members", "memberships", "cards", "machines", "qr_keys"}) {
      db.exec(std::string("DELETE FROM ") + table);
    }
    SQLite::Statement b(db, "INSERT INTO branch VALUES (?, ?, ?, ?)");
    b.bind(1, s.branch.id);
    b.bind(2, s.branch.name);
    b.bind(3, s.branch.time_zone);
    b.bind(4, dump_json(s.branch.hours.to_json()));
    b.exec();
    SQLite::Statement m(db, "INSERT INTO members VALUES (?, ?, ?)");
    for (const auto& x : s.members) {
      m.bind(1, x.id);
      m.bind(2, x.display_name);
      m.bind(3, x.account_suspended ? 1 : 0);
      m.exec();
      m.reset();
    }
    SQLite::Statement ms(db, "INSERT INTO memberships VALUES (?, ?, ?, ?, ?, ?)");
    for (const auto& x : s.memberships) {
      ms.bind(1, x.id);
      ms.bind(2, x.member_id);
      ms.bind(3, x.starts_at_ms);
      ms.bind(4, x.expires_at_ms);
      ms.bind(5, x.suspended ? 1 : 0);
      ms.bind(6, join(x.branch_ids));
      ms.exec();
      ms.reset();
    }
    SQLite::Statement c(db, "INSERT INTO cards VALUES (?, ?, ?)");
    for (const auto& x : s.cards) {
      c.bind(1, x.uid);
      c.bind(2, x.member_id);
      c.bind(3, x.blocked ? 1 : 0);
      c.exec();
      c.reset();
    }
    SQLite::Statement mc(db, "INSERT INTO machines VALUES (?, ?, ?, ?)");
    for (const auto& x : s.machines) {
      mc.bind(1, x.id);
      mc.bind(2, x.name);
      if (x.category) mc.bind(3, std::string(protocol::to_string(*x.category)));
      else mc.bind(3);
      mc.bind(4, x.type);
      mc.exec();
      mc.reset();
    }
    SQLite::Statement k(db, "INSERT INTO qr_keys VALUES (?, ?)");
    for (const auto& x : s.qr_keys) {
      k.bind(1, x.kid);
      k.bind(2, x.public_key);
      k.exec();
      k.reset();
    }
    t.commit();
    return {};
  } catch (const SQLite::Exception& e) {
    return fail("storage", std::string("import failed, the previous replica is kept: ") + e.what());
  }
}

std::optional<BranchRecord> SqliteEdgeStore::branch() const {
  SQLite::Statement q(impl_->db, "SELECT id, name, time_zone, opening_hours FROM branch");
  if (!q.executeStep()) return std::nullopt;
  BranchRecord b{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(), OpeningHours::always_open()};
  auto hours = parse_json_strict(q.getColumn(3).getString());
  if (hours) {
    if (auto h = OpeningHours::from_json(*hours)) b.hours = *h;
  }
  return b;
}

std::vector<QrKey> SqliteEdgeStore::qr_keys() const {
  SQLite::Statement q(impl_->db, "SELECT kid, public_key FROM qr_keys");
  std::vector<QrKey> out;
  while (q.executeStep()) out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString()});
  return out;
}

std::optional<MemberRecord> SqliteEdgeStore::member_by_card(const std::string& uid) const {
  auto& q = impl_->by_card;
  Use use(q);
  q.bind(1, uid);
  if (!q.executeStep()) return std::nullopt;
  return read_member(q);
}

std::optional<MemberRecord> SqliteEdgeStore::member(const std::string& id) const {
  auto& q = impl_->by_id;
  Use use(q);
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  return read_member(q);
}

std::vector<MembershipRecord> SqliteEdgeStore::memberships_of(const std::string& member_id) const {
  auto& q = impl_->memberships;
  Use use(q);
  q.bind(1, member_id);
  std::vector<MembershipRecord> out;
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64(), q.getColumn(3).getInt64(),
                   q.getColumn(4).getInt() != 0, split(q.getColumn(5).getString())});
  }
  return out;
}

std::optional<SessionRecord> SqliteEdgeStore::open_session(const std::string& member_id) const {
  auto& q = impl_->open_session;
  Use use(q);
  q.bind(1, member_id);
  if (!q.executeStep()) return std::nullopt;
  return SessionRecord{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                       q.getColumn(3).getInt64(), q.getColumn(4).getString()};
}

bool SqliteEdgeStore::qr_used(const std::string& jti) const {
  auto& q = impl_->qr_used;
  Use use(q);
  q.bind(1, jti);
  return q.executeStep();
}

namespace {
// `if_new`: an event already queued (a journal replay) is left as it is.
void outbox_add(SQLite::Database& db, const std::string& event_id, const char* kind, std::int64_t at_ms, const Json& body,
                bool if_new = false) {
  SQLite::Statement q(db, if_new ? "INSERT OR IGNORE INTO outbox (event_id, kind, at_ms, body, bytes, evictable) VALUES (?, ?, ?, ?, ?, 0)"
                                 : "INSERT INTO outbox (event_id, kind, at_ms, body, bytes, evictable) VALUES (?, ?, ?, ?, ?, 0)");
  std::string text = dump_json(body);
  q.bind(1, event_id);
  q.bind(2, kind);
  q.bind(3, at_ms);
  q.bind(4, text);
  q.bind(5, static_cast<std::int64_t>(text.size()));
  q.exec();
}

Json session_json(const SessionRecord& s) {
  return {{"session_id", s.id}, {"member_id", s.member_id}, {"branch_id", s.branch_id}, {"started_at_ms", s.started_at_ms},
          {"entry_door", s.entry_door}};
}
}  // namespace

Status SqliteEdgeStore::record_door(const DoorEvent& e, const DoorOutcome& o) {
  try {
    auto& db = impl_->db;
    SQLite::Transaction t(db);
    const char* direction = e.direction == protocol::Direction::in ? "in" : "out";
    const char* kind = e.credential_kind == protocol::Credential::Kind::nfc ? "nfc" : "qr";
    SQLite::Statement ev(db, "INSERT INTO door_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    ev.bind(1, e.event_id);
    ev.bind(2, e.at_ms);
    ev.bind(3, e.door_id);
    ev.bind(4, e.req_id);
    ev.bind(5, direction);
    ev.bind(6, kind);
    if (o.member_id) ev.bind(7, *o.member_id); else ev.bind(7);
    ev.bind(8, o.reply.granted ? 1 : 0);
    ev.bind(9, std::string(protocol::to_string(o.reply.reason)));
    if (o.reply.session_id) ev.bind(10, *o.reply.session_id); else ev.bind(10);
    ev.exec();
    Json body = {{"event_id", e.event_id}, {"at_ms", e.at_ms}, {"door_id", e.door_id}, {"direction", direction},
                 {"credential_kind", kind}, {"granted", o.reply.granted}, {"reason", protocol::to_string(o.reply.reason)}};
    if (o.member_id) body["member_id"] = *o.member_id;
    if (o.reply.session_id) body["session_id"] = *o.reply.session_id;
    outbox_add(db, e.event_id, "door_event", e.at_ms, body);
    if (o.session_started) {
      const auto& s = *o.session_started;
      SQLite::Statement q(db, "INSERT INTO sessions (id, member_id, branch_id, started_at_ms, entry_door) VALUES (?, ?, ?, ?, ?)");
      q.bind(1, s.id);
      q.bind(2, s.member_id);
      q.bind(3, s.branch_id);
      q.bind(4, s.started_at_ms);
      q.bind(5, s.entry_door);
      q.exec();
      outbox_add(db, e.event_id + ".start", "session_started", e.at_ms, session_json(s));
    }
    if (o.session_ended) {
      const auto& s = *o.session_ended;
      SQLite::Statement q(db, "UPDATE sessions SET ended_at_ms = ?, ended_by = 'door', exit_door = ? WHERE id = ? AND ended_at_ms IS NULL");
      q.bind(1, e.at_ms);
      q.bind(2, e.door_id);
      q.bind(3, s.id);
      if (q.exec() != 1) return fail("storage", "the session to end is not open");  // the transaction rolls back
      Json body2 = session_json(s);
      body2["ended_at_ms"] = e.at_ms;
      body2["ended_by"] = "door";
      body2["exit_door"] = e.door_id;
      outbox_add(db, e.event_id + ".end", "session_ended", e.at_ms, body2);
    }
    if (o.qr_to_mark_used) {
      SQLite::Statement q(db, "INSERT INTO qr_used VALUES (?, ?)");
      q.bind(1, o.qr_to_mark_used->jti);
      q.bind(2, o.qr_to_mark_used->expires_at_ms);
      q.exec();
    }
    t.commit();  // synchronous=FULL: on disk when this returns
    return {};
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("door event not recorded: ") + ex.what());
  }
}

std::vector<SessionRecord> SqliteEdgeStore::open_sessions() const {
  SQLite::Statement q(impl_->db, "SELECT id, member_id, branch_id, started_at_ms, entry_door FROM sessions WHERE ended_at_ms IS NULL");
  std::vector<SessionRecord> out;
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getInt64(),
                   q.getColumn(4).getString()});
  }
  return out;
}

Status SqliteEdgeStore::end_session(const SessionRecord& s, std::int64_t ended_at_ms, const std::string& ended_by) {
  try {
    auto& db = impl_->db;
    SQLite::Transaction t(db);
    SQLite::Statement q(db, "UPDATE sessions SET ended_at_ms = ?, ended_by = ? WHERE id = ? AND ended_at_ms IS NULL");
    q.bind(1, ended_at_ms);
    q.bind(2, ended_by);
    q.bind(3, s.id);
    if (q.exec() != 1) return fail("storage", "the session is not open");
    Json body = session_json(s);
    body["ended_at_ms"] = ended_at_ms;
    body["ended_by"] = ended_by;
    outbox_add(db, s.id + ".end", "session_ended", ended_at_ms, body);
    t.commit();
    return {};
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("session not ended: ") + ex.what());
  }
}

std::vector<MachineRecord> SqliteEdgeStore::machine_registry() const {
  SQLite::Statement q(impl_->db, "SELECT id, name, category, type FROM machines");
  std::vector<MachineRecord> out;
  while (q.executeStep()) {
    MachineRecord m{q.getColumn(0).getString(), q.getColumn(1).getString(), std::nullopt, q.getColumn(3).getString()};
    auto cat = q.getColumn(2).isNull() ? std::string() : q.getColumn(2).getString();
    for (auto c : {protocol::Category::cardio, protocol::Category::strength, protocol::Category::functional}) {
      if (cat == protocol::to_string(c)) m.category = c;
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<MachineLink> SqliteEdgeStore::open_links() const {
  SQLite::Statement q(impl_->db,
                      "SELECT id, machine_id, member_id, session_id, started_at_ms FROM machine_links WHERE ended_at_ms IS NULL");
  std::vector<MachineLink> out;
  while (q.executeStep()) {
    auto started = q.getColumn(4).getInt64();
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getString(),
                   started, started});
  }
  return out;
}

namespace {
Json link_json(const MachineLink& l) {
  return {{"link_id", l.id}, {"machine_id", l.machine_id}, {"member_id", l.member_id}, {"session_id", l.session_id},
          {"started_at_ms", l.started_at_ms}};
}
}  // namespace

namespace {
// When a link ends without the machine having sent a `workout`, its telemetry is summarised
// into one (marked `aggregated`), so the member's activity reaches the cloud either way.
void summarise_link(SQLite::Database& db, const LinkEnd& end) {
  SQLite::Statement has(db, "SELECT COUNT(*) FROM telemetry WHERE link_id = ? AND workout = 1");
  has.bind(1, end.link.id);
  if (has.executeStep() && has.getColumn(0).getInt64() > 0) return;
  SQLite::Statement q(db, "SELECT body FROM telemetry WHERE link_id = ? AND workout = 0 ORDER BY device_ts_ms LIMIT 100000");
  q.bind(1, end.link.id);
  std::vector<protocol::Telemetry> samples;
  while (q.executeStep()) {
    if (auto t = protocol::decode_telemetry(q.getColumn(0).getString(), end.category)) samples.push_back(std::move(*t));
  }
  auto workout = aggregate_workout(samples, end.category);
  if (!workout) return;
  Json body = {{"machine_id", end.link.machine_id}, {"link_id", end.link.id}, {"session_id", end.link.session_id},
               {"member_id", end.link.member_id}, {"workout", *workout}};
  outbox_add(db, "wo." + end.link.id + ".aggregated", "workout", end.ended_at_ms, body, true);
}
}  // namespace

Status SqliteEdgeStore::record_floor(const FloorChanges& c, std::int64_t now_ms) {
  if (c.links_started.empty() && c.links_ended.empty() && c.state_changes.empty() && !c.qr_to_mark_used) return {};
  try {
    auto& db = impl_->db;
    SQLite::Transaction t(db);
    for (const auto& l : c.links_ended) {
      SQLite::Statement q(db, "UPDATE machine_links SET ended_at_ms = ?, ended_by = ? WHERE id = ? AND ended_at_ms IS NULL");
      q.bind(1, l.ended_at_ms);
      q.bind(2, l.ended_by);
      q.bind(3, l.link.id);
      q.exec();
      Json body = link_json(l.link);
      body["ended_at_ms"] = l.ended_at_ms;
      body["ended_by"] = l.ended_by;
      outbox_add(db, l.link.id + ".end", "link_ended", l.ended_at_ms, body);
      summarise_link(db, l);
    }
    for (const auto& l : c.links_started) {
      SQLite::Statement q(db, "INSERT INTO machine_links (id, machine_id, member_id, session_id, started_at_ms) VALUES (?, ?, ?, ?, ?)");
      q.bind(1, l.id);
      q.bind(2, l.machine_id);
      q.bind(3, l.member_id);
      q.bind(4, l.session_id);
      q.bind(5, l.started_at_ms);
      q.exec();
      outbox_add(db, l.id + ".start", "link_started", l.started_at_ms, link_json(l));
    }
    for (const auto& [machine, state] : c.state_changes) {
      std::string st(protocol::to_string(state));
      SQLite::Statement q(db, "INSERT INTO machine_states VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated_at_ms = excluded.updated_at_ms");
      q.bind(1, machine);
      q.bind(2, st);
      q.bind(3, now_ms);
      q.exec();
      // Status changes are many and small: evictable under pressure, unlike sessions.
      SQLite::Statement o(db, "INSERT INTO outbox (event_id, kind, at_ms, body, bytes, evictable) VALUES (?, 'machine_status', ?, ?, ?, 1)");
      std::string body = dump_json(Json{{"machine_id", machine}, {"state", st}, {"at_ms", now_ms}});
      o.bind(1, machine + "." + std::to_string(now_ms) + "." + st);
      o.bind(2, now_ms);
      o.bind(3, body);
      o.bind(4, static_cast<std::int64_t>(body.size()));
      o.exec();
    }
    if (c.qr_to_mark_used) {
      SQLite::Statement q(db, "INSERT INTO qr_used VALUES (?, ?)");
      q.bind(1, c.qr_to_mark_used->jti);
      q.bind(2, c.qr_to_mark_used->expires_at_ms);
      q.exec();
    }
    t.commit();
    return {};
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("machine changes not recorded: ") + ex.what());
  }
}

Status SqliteEdgeStore::record_maintenance(const std::string& machine_id, const protocol::Maintenance& r, std::int64_t now_ms) {
  try {
    Json body = {{"machine_id", machine_id}, {"code", r.code}, {"severity", protocol::to_string(r.severity)}, {"at_ms", now_ms}};
    if (r.detail) body["detail"] = *r.detail;
    outbox_add(impl_->db, machine_id + ".maint." + std::to_string(r.ts.value_or(now_ms)) + "." + r.code, "maintenance", now_ms, body, true);
    return {};
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("maintenance report not recorded: ") + ex.what());
  }
}

Result<IngestResult> SqliteEdgeStore::record_telemetry(const std::vector<TelemetryRow>& rows, JournalPosition applied) {
  try {
    auto& db = impl_->db;
    db.exec("PRAGMA synchronous=NORMAL");
    SQLite::Transaction t(db);
    SQLite::Statement q(db, "INSERT OR IGNORE INTO telemetry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    IngestResult r;
    std::int64_t stored_bytes = 0;
    for (const auto& row : rows) {
      q.bind(1, row.machine_id);
      q.bind(2, row.boot_id);
      q.bind(3, row.msg_id);
      q.bind(4, row.workout ? 1 : 0);
      q.bind(5, row.device_ts_ms);
      q.bind(6, row.received_at_ms);
      if (row.link_id) q.bind(7, *row.link_id); else q.bind(7);
      if (row.session_id) q.bind(8, *row.session_id); else q.bind(8);
      if (row.member_id) q.bind(9, *row.member_id); else q.bind(9);
      q.bindNoCopy(10, row.body);
      int changed = q.exec();
      q.reset();
      if (changed == 0) {
        ++r.duplicates;
        continue;
      }
      ++r.stored;
      stored_bytes += static_cast<std::int64_t>(row.body.size());
      if (row.workout) {
        Json body = {{"machine_id", row.machine_id}, {"boot_id", row.boot_id}, {"msg_id", row.msg_id},
                     {"received_at_ms", row.received_at_ms}, {"workout", parse_json_strict(row.body).value_or(Json::object())}};
        if (row.link_id) body["link_id"] = *row.link_id;
        if (row.session_id) body["session_id"] = *row.session_id;
        if (row.member_id) body["member_id"] = *row.member_id;
        outbox_add(db, "wo." + row.machine_id + "." + row.boot_id + "." + std::to_string(row.msg_id), "workout", row.received_at_ms, body);
      }
    }
    SQLite::Statement pos(db, "UPDATE ingest_state SET segment = ?, offset = ?, telemetry_bytes = telemetry_bytes + ? WHERE id = 1");
    pos.bind(1, static_cast<std::int64_t>(applied.segment));
    pos.bind(2, static_cast<std::int64_t>(applied.offset));
    pos.bind(3, stored_bytes);
    pos.exec();
    t.commit();
    db.exec("PRAGMA synchronous=FULL");
    return r;
  } catch (const SQLite::Exception& ex) {
    try {
      impl_->db.exec("PRAGMA synchronous=FULL");
    } catch (const SQLite::Exception&) {
    }
    return fail("storage", std::string("telemetry not stored: ") + ex.what());
  }
}

Status SqliteEdgeStore::set_applied(JournalPosition applied) {
  try {
    SQLite::Statement pos(impl_->db, "UPDATE ingest_state SET segment = ?, offset = ? WHERE id = 1 AND (segment < ? OR (segment = ? AND offset < ?))");
    pos.bind(1, static_cast<std::int64_t>(applied.segment));
    pos.bind(2, static_cast<std::int64_t>(applied.offset));
    pos.bind(3, static_cast<std::int64_t>(applied.segment));
    pos.bind(4, static_cast<std::int64_t>(applied.segment));
    pos.bind(5, static_cast<std::int64_t>(applied.offset));
    pos.exec();
    return {};
  } catch (const SQLite::Exception& ex) {
    return fail("storage", ex.what());
  }
}

JournalPosition SqliteEdgeStore::applied_position() const {
  SQLite::Statement q(impl_->db, "SELECT segment, offset FROM ingest_state WHERE id = 1");
  if (!q.executeStep()) return {};
  return {static_cast<std::uint64_t>(q.getColumn(0).getInt64()), static_cast<std::uint64_t>(q.getColumn(1).getInt64())};
}

std::int64_t SqliteEdgeStore::telemetry_count() const { return impl_->db.execAndGet("SELECT COUNT(*) FROM telemetry").getInt64(); }

StorageUse SqliteEdgeStore::storage_use() const {
  auto& db = impl_->db;
  StorageUse u;
  SQLite::Statement t(db, "SELECT telemetry_bytes FROM ingest_state WHERE id = 1");
  if (t.executeStep()) u.telemetry_bytes = t.getColumn(0).getInt64();
  u.telemetry_rows = db.execAndGet("SELECT COUNT(*) FROM telemetry").getInt64();
  SQLite::Statement o(db, "SELECT COUNT(*), COALESCE(SUM(bytes), 0), COALESCE(SUM(CASE WHEN evictable = 1 THEN bytes ELSE 0 END), 0), "
                          "COALESCE(MIN(at_ms), 0) FROM outbox");
  if (o.executeStep()) {
    u.outbox_rows = o.getColumn(0).getInt64();
    u.outbox_bytes = o.getColumn(1).getInt64();
    u.evictable_outbox_bytes = o.getColumn(2).getInt64();
    u.oldest_outbox_ms = o.getColumn(3).getInt64();
  }
  return u;
}

Result<std::int64_t> SqliteEdgeStore::evict(std::int64_t bytes, std::int64_t now_ms) {
  try {
    auto& db = impl_->db;
    SQLite::Transaction t(db);
    std::int64_t freed = 0, tele_rows = 0, tele_bytes = 0, out_rows = 0, out_bytes = 0, from_ms = 0, to_ms = 0;
    // Raw telemetry first, oldest first, in chunks (no index on time: eviction is rare).
    while (freed < bytes) {
      SQLite::Statement pick(db, "SELECT machine_id, boot_id, msg_id, LENGTH(body), received_at_ms FROM telemetry ORDER BY received_at_ms LIMIT 2000");
      SQLite::Statement del(db, "DELETE FROM telemetry WHERE machine_id = ? AND boot_id = ? AND msg_id = ?");
      int n = 0;
      std::vector<std::tuple<std::string, std::string, std::int64_t, std::int64_t, std::int64_t>> victims;
      while (pick.executeStep()) {
        victims.emplace_back(pick.getColumn(0).getString(), pick.getColumn(1).getString(), pick.getColumn(2).getInt64(),
                             pick.getColumn(3).getInt64(), pick.getColumn(4).getInt64());
      }
      for (const auto& [m, b, id, len, at] : victims) {
        if (freed >= bytes) break;
        del.bind(1, m);
        del.bind(2, b);
        del.bind(3, id);
        del.exec();
        del.reset();
        freed += len;
        tele_bytes += len;
        ++tele_rows;
        ++n;
        if (from_ms == 0) from_ms = at;
        to_ms = at;
      }
      if (n == 0) break;
    }
    // Then the evictable outbox events (machine status changes), oldest first.
    while (freed < bytes) {
      SQLite::Statement pick(db, "SELECT seq, bytes FROM outbox WHERE evictable = 1 ORDER BY seq LIMIT 2000");
      std::vector<std::pair<std::int64_t, std::int64_t>> victims;
      while (pick.executeStep()) victims.emplace_back(pick.getColumn(0).getInt64(), pick.getColumn(1).getInt64());
      if (victims.empty()) break;
      SQLite::Statement del(db, "DELETE FROM outbox WHERE seq = ?");
      for (const auto& [seq, len] : victims) {
        if (freed >= bytes) break;
        del.bind(1, seq);
        del.exec();
        del.reset();
        freed += len;
        out_bytes += len;
        ++out_rows;
      }
    }
    SQLite::Statement upd(db, "UPDATE ingest_state SET telemetry_bytes = MAX(0, telemetry_bytes - ?) WHERE id = 1");
    upd.bind(1, tele_bytes);
    upd.exec();
    if (tele_rows > 0 || out_rows > 0) {
      Json body = {{"at_ms", now_ms}, {"telemetry_rows", tele_rows}, {"telemetry_bytes", tele_bytes}, {"telemetry_from_ms", from_ms},
                   {"telemetry_to_ms", to_ms}, {"status_events", out_rows}, {"status_event_bytes", out_bytes}};
      outbox_add(db, "evict." + std::to_string(now_ms), "eviction", now_ms, body, true);
    }
    t.commit();
    return freed;
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("eviction failed: ") + ex.what());
  }
}

Json SqliteEdgeStore::outbox_summary(std::int64_t now_ms) const {
  auto use = storage_use();
  Json kinds = Json::object();
  SQLite::Statement q(impl_->db, "SELECT kind, COUNT(*) FROM outbox GROUP BY kind ORDER BY kind");
  while (q.executeStep()) kinds[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
  return {{"depth", use.outbox_rows}, {"bytes", use.outbox_bytes}, {"evictable_bytes", use.evictable_outbox_bytes},
          {"oldest_age_s", use.oldest_outbox_ms ? Json((now_ms - use.oldest_outbox_ms) / 1000) : Json(nullptr)},
          {"by_kind", kinds}, {"telemetry_rows", use.telemetry_rows}, {"telemetry_bytes", use.telemetry_bytes}};
}

std::int64_t SqliteEdgeStore::member_count() const { return impl_->db.execAndGet("SELECT COUNT(*) FROM members").getInt64(); }

std::int64_t SqliteEdgeStore::outbox_depth() const { return impl_->db.execAndGet("SELECT COUNT(*) FROM outbox").getInt64(); }

}  // namespace spotter::edge
