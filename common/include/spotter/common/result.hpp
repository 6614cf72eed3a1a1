#pragma once
// Result<T, E>: the value of an operation that can fail in an expected way (bad input,
// a missing record, a refused token). Exceptions are reserved for start-up and
// programming errors; untrusted input never throws past an adapter.
#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace spotter {

// A failure that callers can act on: `code` is stable and machine-readable
// (e.g. "out_of_range"), `message` is for people and logs and never holds secrets.
struct Error {
  std::string code;
  std::string message;
  friend bool operator==(const Error&, const Error&) = default;
};

template <class E>
struct Unexpected {
  E error;
};
template <class E>
Unexpected(E) -> Unexpected<E>;

inline Unexpected<Error> fail(std::string code, std::string message) {
  return Unexpected<Error>{Error{std::move(code), std::move(message)}};
}

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  template <class G>
  Result(Unexpected<G> u) : v_(std::in_place_index<1>, E(std::move(u.error))) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Accessing the wrong alternative is a programming error, never an input error.
  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  const E& error() const& { assert(!ok()); return std::get<1>(v_); }
  E&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  template <class U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, E> v_;
};

// Result of an operation with nothing to return but success.
template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  template <class G>
  Result(Unexpected<G> u) : err_(E(std::move(u.error))), failed_(true) {}  // NOLINT
  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const E& error() const& { assert(failed_); return err_; }

 private:
  E err_{};
  bool failed_ = false;
};

using Status = Result<void, Error>;

}  // namespace spotter
