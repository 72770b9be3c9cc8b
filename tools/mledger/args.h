#pragma once
// A small command-line parser: `--name value`, `--flag`, and positionals.
// Unknown options are errors, so typos never pass silently.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace mledger::cli {

class Args {
 public:
  // `value_options` take a value; `flags` do not. Returns false and sets
  // error() on an unknown option or a missing value.
  bool parse(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
             const std::set<std::string>& flags);

  bool flag(const std::string& name) const { return flags_.contains(name); }
  std::optional<std::string> value(const std::string& name) const;
  std::string value_or(const std::string& name, const std::string& fallback) const;
  // Parses an unsigned integer option; false (with error()) when malformed.
  bool number(const std::string& name, uint64_t fallback, uint64_t* out);
  const std::vector<std::string>& positionals() const { return positionals_; }
  const std::string& error() const { return error_; }

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positionals_;
  std::string error_;
};

}  // namespace mledger::cli
