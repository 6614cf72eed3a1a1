// The SQLite store: opening and migrating, the replica, door events and sessions.
// Machines are in sqlite_machines.cpp; telemetry, the outbox and its budget in
// sqlite_telemetry.cpp.
#include "store_impl.hpp"

#include "spotter/edge/workout_aggregate.hpp"
#include "spotter/protocol/codec.hpp"

namespace spotter::edge {
using store_detail::outbox_add;
using store_detail::session_json;

namespace {

std::string join(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

// Row writers shared by the whole import and the delta (statements prepared by the caller).
void write_member(SQLite::Statement& q, const MemberRecord& x) {
  q.bind(1, x.id);
  q.bind(2, x.display_name);
  q.bind(3, x.account_suspended ? 1 : 0);
  q.exec();
  q.reset();
}
void write_membership(SQLite::Statement& q, const MembershipRecord& x) {
  q.bind(1, x.id);
  q.bind(2, x.member_id);
  q.bind(3, x.starts_at_ms);
  q.bind(4, x.expires_at_ms);
  q.bind(5, x.suspended ? 1 : 0);
  q.bind(6, join(x.branch_ids));
  q.exec();
  q.reset();
}
void write_card(SQLite::Statement& q, const NfcCard& x) {
  q.bind(1, x.uid);
  q.bind(2, x.member_id);
  q.bind(3, x.blocked ? 1 : 0);
  q.exec();
  q.reset();
}
void write_fingerprint(SQLite::Statement& q, const FingerprintRecord& x) {
  q.bind(1, x.credential_id);
  q.bind(2, x.member_id);
  q.bind(3, x.finger);
  q.bind(4, x.template_.data(), static_cast<int>(x.template_.size()));
  q.exec();
  q.reset();
}
void write_machine(SQLite::Statement& q, const MachineRecord& x) {
  q.bind(1, x.id);
  q.bind(2, x.name);
  if (x.category) q.bind(3, std::string(protocol::to_string(*x.category)));
  else q.bind(3);
  q.bind(4, x.type);
  q.exec();
  q.reset();
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
    for (const char* table : {"branch", "members", "memberships", "cards", "fingerprints", "machines", "qr_keys"}) {
      db.exec(std::string("DELETE FROM ") + table);
    }
    SQLite::Statement b(db, "INSERT INTO branch VALUES (?, ?, ?, ?)");
    b.bind(1, s.branch.id);
    b.bind(2, s.branch.name);
    b.bind(3, s.branch.time_zone);
    b.bind(4, dump_json(s.branch.hours.to_json()));
    b.exec();
    SQLite::Statement m(db, "INSERT INTO members VALUES (?, ?, ?)");
    for (const auto& x : s.members) write_member(m, x);
    SQLite::Statement ms(db, "INSERT INTO memberships VALUES (?, ?, ?, ?, ?, ?)");
    for (const auto& x : s.memberships) write_membership(ms, x);
    SQLite::Statement c(db, "INSERT INTO cards VALUES (?, ?, ?)");
    for (const auto& x : s.cards) write_card(c, x);
    SQLite::Statement f(db, "INSERT INTO fingerprints VALUES (?, ?, ?, ?)");
    for (const auto& x : s.fingerprints) write_fingerprint(f, x);
    SQLite::Statement mc(db, "INSERT INTO machines VALUES (?, ?, ?, ?)");
    for (const auto& x : s.machines) write_machine(mc, x);
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

Status SqliteEdgeStore::apply_replica_delta(const ReplicaDelta& d) {
  try {
    auto& db = impl_->db;
    SQLite::Transaction t(db);
    auto by_member = [&](const char* sql, const std::string& id) {
      SQLite::Statement q(db, sql);
      q.bind(1, id);
      q.exec();
    };
    auto forget = [&](const std::string& id) {
      by_member("DELETE FROM memberships WHERE member_id = ?", id);
      by_member("DELETE FROM cards WHERE member_id = ?", id);
      by_member("DELETE FROM fingerprints WHERE member_id = ?", id);
    };
    for (const auto& id : d.removed_members) {
      forget(id);
      by_member("DELETE FROM members WHERE id = ?", id);
    }
    SQLite::Statement m(db, "INSERT OR REPLACE INTO members VALUES (?, ?, ?)");
    SQLite::Statement ms(db, "INSERT OR REPLACE INTO memberships VALUES (?, ?, ?, ?, ?, ?)");
    // A UID that moved to this member replaces the previous owner's (blocked) card.
    SQLite::Statement c(db, "INSERT OR REPLACE INTO cards VALUES (?, ?, ?)");
    SQLite::Statement f(db, "INSERT OR REPLACE INTO fingerprints VALUES (?, ?, ?, ?)");
    for (const auto& u : d.members) {
      forget(u.member.id);
      write_member(m, u.member);
      for (const auto& x : u.memberships) write_membership(ms, x);
      for (const auto& x : u.cards) write_card(c, x);
      for (const auto& x : u.fingerprints) write_fingerprint(f, x);
    }
    for (const auto& id : d.removed_machines) by_member("DELETE FROM machines WHERE id = ?", id);
    SQLite::Statement mc(db, "INSERT OR REPLACE INTO machines VALUES (?, ?, ?, ?)");
    for (const auto& x : d.machines) write_machine(mc, x);
    t.commit();
    return {};
  } catch (const SQLite::Exception& ex) {
    return fail("storage", std::string("replica changes not applied: ") + ex.what());
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

std::vector<std::string> SqliteEdgeStore::doors_seen() const {
  SQLite::Statement q(impl_->db, "SELECT DISTINCT door_id FROM door_events ORDER BY door_id");
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
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

std::optional<MemberRecord> SqliteEdgeStore::member_by_fingerprint(const std::string& credential_id) const {
  SQLite::Statement q(impl_->db, "SELECT m.id, m.display_name, m.suspended FROM fingerprints f JOIN members m ON m.id = f.member_id "
                                 "WHERE f.credential_id = ?");
  q.bind(1, credential_id);
  if (!q.executeStep()) return std::nullopt;
  return read_member(q);
}

std::vector<std::string> SqliteEdgeStore::fingerprint_ids() const {
  SQLite::Statement q(impl_->db, "SELECT credential_id FROM fingerprints ORDER BY credential_id");
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

std::optional<FingerprintRecord> SqliteEdgeStore::fingerprint(const std::string& credential_id) const {
  SQLite::Statement q(impl_->db, "SELECT credential_id, member_id, finger, template FROM fingerprints WHERE credential_id = ?");
  q.bind(1, credential_id);
  if (!q.executeStep()) return std::nullopt;
  const auto blob = q.getColumn(3);
  const auto* bytes = static_cast<const char*>(blob.getBlob());
  return FingerprintRecord{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                           std::string(bytes, bytes + blob.getBytes())};
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


Status SqliteEdgeStore::record_door(const DoorEvent& e, const DoorOutcome& o) {
  try {
    auto& db = impl_->db;
    SQLite::Transaction t(db);
    const char* direction = e.direction == protocol::Direction::in ? "in" : "out";
    const char* kind = e.credential_kind == protocol::Credential::Kind::nfc ? "nfc"
                       : e.credential_kind == protocol::Credential::Kind::qr ? "qr" : "fingerprint";
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

}  // namespace spotter::edge
