#include "tools/mledger/args.h"

namespace mledger::cli {

bool Args::parse(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
                 const std::set<std::string>& flags) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() > 2 && a.rfind("--", 0) == 0) {
      std::string name = a.substr(2);
      std::optional<std::string> inline_value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (flags.contains(name) && !inline_value) {
        flags_.insert(name);
      } else if (value_options.contains(name)) {
        if (inline_value) {
          values_[name] = *inline_value;
        } else if (i + 1 < argv.size()) {
          values_[name] = argv[++i];
        } else {
          error_ = "option --" + name + " needs a value";
          return false;
        }
      } else {
        error_ = "unknown option --" + name;
        return false;
      }
    } else {
      positionals_.push_back(a);
    }
  }
  return true;
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::value_or(const std::string& name, const std::string& fallback) const {
  return value(name).value_or(fallback);
}

bool Args::number(const std::string& name, uint64_t fallback, uint64_t* out) {
  auto v = value(name);
  if (!v) {
    *out = fallback;
    return true;
  }
  if (v->empty() || v->size() > 19 || v->find_first_not_of("0123456789") != std::string::npos) {
    error_ = "option --" + name + " needs a whole number, got '" + *v + "'";
    return false;
  }
  *out = std::stoull(*v);
  return true;
}

}  // namespace mledger::cli
