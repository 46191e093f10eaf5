// Status and Result<T>: how setup and I/O report errors. The library never exits on bad
// input; it returns a Status whose message names the file and the problem, and tools/
// turns it into one line on stderr and a non-zero exit code.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace elite {

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

  // Prefixes context ("reading model.tflite: ") to an error; a no-op on success.
  Status with_context(const std::string& context) const {
    if (ok()) return *this;
    return Status(context + ": " + message_);
  }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

// A value or an error Status (std::expected is C++23).
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}     // NOLINT: must be an error

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace elite

#define ELITE_CONCAT_INNER_(a, b) a##b
#define ELITE_CONCAT_(a, b) ELITE_CONCAT_INNER_(a, b)

#define ELITE_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::elite::Status elite_status_ = (expr);      \
    if (!elite_status_.ok()) return elite_status_; \
  } while (0)

#define ELITE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

// ELITE_ASSIGN_OR_RETURN(auto x, make_x()); returns the error Status from the caller.
#define ELITE_ASSIGN_OR_RETURN(lhs, expr) \
  ELITE_ASSIGN_OR_RETURN_IMPL_(ELITE_CONCAT_(elite_result_, __LINE__), lhs, expr)
