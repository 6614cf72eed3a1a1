// What every storage adapter shares: row accessors, the transaction protocol (savepoints,
// retries, after-commit hooks) over the adapter's begin/commit/rollback, and SQL text
// rewriting. No I/O of its own.
#include <chrono>
#include <memory>
#include <random>
#include <set>
#include <thread>

#include "spotter/cloud/storage.hpp"

namespace spotter::cloud {

std::string_view to_string(Engine engine) { return engine == Engine::sqlite ? "sqlite" : "postgresql"; }

std::int64_t SqlRow::integer(std::size_t i) const {
  const auto& v = columns.at(i);
  if (const auto* n = std::get_if<std::int64_t>(&v)) return *n;
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  return 0;
}

double SqlRow::number(std::size_t i) const {
  const auto& v = columns.at(i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<std::int64_t>(&v)) return static_cast<double>(*n);
  return 0.0;
}

bool SqlRow::boolean(std::size_t i) const {
  const auto& v = columns.at(i);
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* n = std::get_if<std::int64_t>(&v)) return *n != 0;
  return false;
}

std::string SqlRow::text(std::size_t i) const {
  const auto* v = std::get_if<std::string>(&columns.at(i));
  return v ? *v : std::string{};
}

std::optional<std::int64_t> SqlRow::optional_integer(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return integer(i);
}

std::optional<double> SqlRow::optional_number(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return number(i);
}

std::optional<std::string> SqlRow::optional_text(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return text(i);
}

namespace {

// This thread's open transactions, one per database (a thread may be inside transactions
// of two databases at once, e.g. a migration tool copying between them).
struct Frame {
  const SqlDatabase* db;
  int savepoints = 0;
  std::vector<std::pair<std::string, std::function<void()>>> after_commit;  // (key or "", hook)
  std::set<std::string> keys;

  void truncate(std::size_t size) {
    for (std::size_t i = size; i < after_commit.size(); ++i)
      if (!after_commit[i].first.empty()) keys.erase(after_commit[i].first);
    after_commit.resize(size);
  }
};
thread_local std::vector<std::unique_ptr<Frame>> t_frames;

Frame* frame_of(const SqlDatabase* db) {
  for (auto& f : t_frames)
    if (f->db == db) return f.get();
  return nullptr;
}

void drop_frame(const SqlDatabase* db) {
  for (auto it = t_frames.begin(); it != t_frames.end(); ++it)
    if ((*it)->db == db) {
      t_frames.erase(it);
      return;
    }
}

constexpr int kAttempts = 8;

void backoff(int attempt) {
  thread_local std::minstd_rand rng{std::random_device{}()};
  const int cap_ms = std::min(1 << attempt, 64);
  std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(cap_ms * 250, cap_ms * 1000)(rng)));
}

}  // namespace

bool SqlDatabase::in_transaction() const { return frame_of(this) != nullptr; }

void SqlDatabase::after_commit(std::function<void()> fn) {
  if (Frame* f = frame_of(this)) f->after_commit.emplace_back(std::string(), std::move(fn));
  else fn();
}

bool SqlDatabase::after_commit_once(const std::string& key, std::function<void()> fn) {
  Frame* f = frame_of(this);
  if (!f) {
    fn();
    return true;
  }
  if (!f->keys.insert(key).second) return false;
  f->after_commit.emplace_back(key, std::move(fn));
  return true;
}

Status SqlDatabase::transaction(const std::function<Status()>& work) {
  if (frame_of(this)) return run_nested(work);
  for (int attempt = 1;; ++attempt) {
    Status result = run_once(work);
    if (result || result.error().code != sql_error::retry || attempt == kAttempts) return result;
    backoff(attempt);
  }
}

Status SqlDatabase::run_once(const std::function<Status()>& work) {
  if (auto began = begin(); !began) return began;
  t_frames.push_back(std::make_unique<Frame>(Frame{.db = this}));
  Frame& frame = *t_frames.back();  // on the heap: stays put while nested work adds frames
  Status result;
  try {
    result = work();
  } catch (...) {
    rollback();
    drop_frame(this);
    throw;
  }
  if (!result) {
    rollback();
    drop_frame(this);
    return result;
  }
  Status committed = commit();
  auto hooks = std::move(frame.after_commit);
  drop_frame(this);
  if (!committed) return committed;
  for (auto& [key, fn] : hooks) fn();
  return {};
}

Status SqlDatabase::run_nested(const std::function<Status()>& work) {
  Frame& frame = *frame_of(this);
  const std::string name = "spotter_sp_" + std::to_string(++frame.savepoints);
  const std::size_t hooks = frame.after_commit.size();
  auto undo = [&] {
    (void)execute("ROLLBACK TO SAVEPOINT " + name);
    (void)execute("RELEASE SAVEPOINT " + name);
    frame.truncate(hooks);
  };
  if (auto s = execute("SAVEPOINT " + name); !s) return Unexpected<Error>{s.error()};
  Status result;
  try {
    result = work();
  } catch (...) {
    undo();
    throw;
  }
  if (!result) {
    undo();
    return result;
  }
  if (auto s = execute("RELEASE SAVEPOINT " + name); !s) return Unexpected<Error>{s.error()};
  return {};
}

std::string expand_dialect(std::string_view sql, Engine engine) {
  // {{AUTO_ID}}: an integer key the database assigns. {{BYTEWISE}}: a text column ordered by
  // its bytes (prefix searches as index ranges; PostgreSQL's default collation may be
  // linguistic, SQLite's is already binary).
  const std::pair<std::string_view, std::string_view> words[] = {
      {"{{AUTO_ID}}", engine == Engine::sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
      {"{{BYTEWISE}}", engine == Engine::sqlite ? "COLLATE BINARY" : "COLLATE \"C\""}};
  std::string out(sql);
  for (const auto& [word, with] : words)
    for (std::size_t at = out.find(word); at != std::string::npos; at = out.find(word, at + with.size())) out.replace(at, word.size(), with);
  return out;
}

std::string placeholders(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += i ? ", ?" : "?";
  return s;
}

std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // a literal or quoted identifier; a doubled quote stays inside
      const auto end = sql.find(c, i + 1);
      const auto stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const auto end = sql.find('\n', i);
      const auto stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '?') {
      out.push_back('$');
      out.append(std::to_string(++n));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace spotter::cloud
