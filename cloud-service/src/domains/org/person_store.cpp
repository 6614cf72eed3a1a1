// A person's record as staff update it, and the keys the desk's search finds them by.
#include "../../core/fields.hpp"
#include "rules_people.hpp"
#include "store.hpp"

namespace spotter::cloud::org {

const char* const kPersonColumns = "id, email, full_name, role, home_branch_id, phone, document_id, created_at, status";

Person person_of(const SqlRow& r) {
  return Person{.id = r.text(0), .email = r.text(1), .full_name = r.text(2), .role = r.text(3), .status = r.text(8),
                .home_branch_id = r.optional_text(4), .phone = r.optional_text(5), .document_id = r.optional_text(6), .branch_ids = {},
                .created_at = r.integer(7)};
}

Json user_json(const Person& p) {
  auto text_or_null = [](const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); };
  return {{"id", p.id},
          {"email", p.email},
          {"full_name", p.full_name},
          {"role", p.role},
          {"status", p.status},
          {"home_branch_id", text_or_null(p.home_branch_id)},
          {"phone", text_or_null(p.phone)},
          {"document_id", text_or_null(p.document_id)},
          {"branch_ids", p.branch_ids},
          {"created_at", rfc3339(p.created_at)}};
}

Result<std::optional<Person>> OrgStore::person(const std::string& id) {
  auto rows = db_.query(std::string("SELECT ") + kPersonColumns + " FROM users WHERE id = ?", {id});
  if (!rows) return Unexpected<Error>{rows.error()};
  if (rows->empty()) return std::optional<Person>{};
  Person p = person_of(rows->front());
  auto branches = db_.query("SELECT branch_id FROM user_branches WHERE user_id = ? ORDER BY branch_id", {id});
  if (!branches) return Unexpected<Error>{branches.error()};
  for (const auto& b : *branches) p.branch_ids.push_back(b.text(0));
  return std::optional<Person>{std::move(p)};
}

Status OrgStore::update_person(const Person& p, std::int64_t now) {
  return db_.atomically([&]() -> Status {
    SPOTTER_SQL(db_.execute("UPDATE users SET full_name = ?, role = ?, status = ?, home_branch_id = ?, phone = ?, document_id = ?, updated_at = ? WHERE id = ?",
                            {p.full_name, p.role, p.status, sql_opt(p.home_branch_id), sql_opt(p.phone), sql_opt(p.document_id), now, p.id}));
    SPOTTER_SQL(db_.execute("DELETE FROM user_branches WHERE user_id = ?", {p.id}));
    for (const auto& b : std::set<std::string>(p.branch_ids.begin(), p.branch_ids.end()))
      SPOTTER_SQL(db_.execute("INSERT INTO user_branches (user_id, branch_id) VALUES (?, ?)", {p.id, b}));
    return set_search_keys(p.id, search_keys(p.full_name, p.email, p.phone, p.document_id));
  });
}

Status OrgStore::set_search_keys(const std::string& user_id, const std::vector<std::string>& keys) {
  return db_.atomically([&]() -> Status {
    SPOTTER_SQL(db_.execute("DELETE FROM user_search_keys WHERE user_id = ?", {user_id}));
    if (keys.empty()) return {};
    std::string sql = "INSERT INTO user_search_keys (search_key, user_id) VALUES ";
    std::vector<SqlValue> params;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      sql += i ? ", (?, ?)" : "(?, ?)";
      params.insert(params.end(), {keys[i], user_id});
    }
    SPOTTER_SQL(db_.execute(sql + " ON CONFLICT (search_key, user_id) DO NOTHING", params));
    return {};
  });
}

Result<std::vector<Person>> OrgStore::people_without_search_keys(const std::string& after, std::int64_t limit) {
  auto rows = db_.query(std::string("SELECT ") + kPersonColumns +
                            " FROM users u WHERE id > ? AND NOT EXISTS (SELECT 1 FROM user_search_keys k WHERE k.user_id = u.id) ORDER BY id LIMIT ?",
                        {after, limit});
  if (!rows) return Unexpected<Error>{rows.error()};
  std::vector<Person> out;
  for (const auto& r : *rows) out.push_back(person_of(r));
  return out;
}

}  // namespace spotter::cloud::org
