#include "adapters/json/strict_json.h"

#include <set>
#include <string>
#include <vector>

namespace mledger::json {

namespace {

using nlohmann::json;

// Follows nlohmann's parse events to know where in the document each key and
// value is, and keeps the first problem seen.
class StrictCheck {
 public:
  explicit StrictCheck(std::string_view item_label) : item_label_(item_label) {}

  bool on_event(json::parse_event_t event, const json& parsed) {
    if (!problem_.empty()) return true;
    switch (event) {
      case json::parse_event_t::object_start: stack_.push_back(frame(true)); break;
      case json::parse_event_t::array_start: stack_.push_back(frame(false)); break;
      case json::parse_event_t::key: on_key(parsed.get_ref<const std::string&>()); break;
      case json::parse_event_t::value:
        if (parsed.is_string() && parsed.get_ref<const std::string&>().find('\0') != std::string::npos) {
          problem_ = where() + " holds a NUL character (\\u0000)";
        }
        next_item();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!stack_.empty()) stack_.pop_back();
        next_item();
        break;
    }
    return true;
  }

  const std::string& problem() const { return problem_; }

 private:
  struct Frame {
    bool object = true;
    size_t index = 0;       // of the current item, in an array
    std::string key;        // the current key, in an object
    std::set<std::string> keys;
  };

  static Frame frame(bool object) {
    Frame f;
    f.object = object;
    return f;
  }

  void on_key(const std::string& key) {
    if (stack_.empty()) return;
    Frame& top = stack_.back();
    if (key.find('\0') != std::string::npos) {
      top.key.clear();
      problem_ = where() + " has a key that holds a NUL character (\\u0000)";
      return;
    }
    top.key = key;
    if (!top.keys.insert(key).second) problem_ = where() + " is given twice";
  }

  void next_item() {
    if (!stack_.empty() && !stack_.back().object) ++stack_.back().index;
  }

  // "commands[1]: field 'data.email'", "field 'roles[0]'", "the document".
  std::string where() const {
    std::string prefix, path;
    for (size_t i = 0; i < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      if (f.object) {
        if (!f.key.empty()) path += (path.empty() ? "" : ".") + f.key;
      } else if (i == 0 && !item_label_.empty()) {
        prefix = std::string(item_label_) + "[" + std::to_string(f.index) + "]: ";
      } else {
        path += "[" + std::to_string(f.index) + "]";
      }
    }
    return prefix + (path.empty() ? std::string("the document") : "field '" + path + "'");
  }

  std::string_view item_label_;
  std::vector<Frame> stack_;
  std::string problem_;
};

}  // namespace

Status parse_strict(std::string_view text, json* out, std::string_view item_label) {
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return Status(StatusCode::invalid_argument,
                  "the text holds a NUL byte at offset " + std::to_string(nul) + " (JSON has none)");
  }
  StrictCheck check(item_label);
  try {
    *out = json::parse(text, [&check](int, json::parse_event_t event, json& parsed) {
      return check.on_event(event, parsed);
    });
  } catch (const json::exception& e) {
    // nlohmann's messages name the byte position and the problem (syntax,
    // ill-formed UTF-8, ...).
    std::string what_failed = e.what();
    if (auto p = what_failed.find("] "); p != std::string::npos) what_failed = what_failed.substr(p + 2);
    return Status(StatusCode::invalid_argument, "malformed JSON: " + what_failed);
  }
  if (!check.problem().empty()) return Status(StatusCode::invalid_argument, check.problem());
  return Status::Ok();
}

}  // namespace mledger::json
