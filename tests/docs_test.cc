// The reference documentation keeps up with the code: every command type,
// event type, rejection code and rule id the code knows is documented, the
// rules document lists exactly the project's rule ids in order, and every
// JSON example of a command parses as a command. Each failure names what is
// missing. The docs are read from the source tree (MLEDGER_SOURCE_DIR); the
// project's docs stand alone, so nothing outside the tree is read.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "adapters/json/command_json.h"
#include "domain/commands/command.h"
#include "domain/core/rejection.h"
#include "domain/events/event.h"
#include "tests/support/files.h"

namespace {

namespace fs = std::filesystem;

using mledger::testing::lines_of;

std::string read_doc(const std::string& relative) {
  const fs::path path = fs::path(MLEDGER_SOURCE_DIR) / relative;
  EXPECT_TRUE(std::ifstream(path).good()) << "cannot read " << path;
  return mledger::testing::read_file(path.string());
}

bool is_word_char(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
}

// `line` holds `word` as a whole word (not inside a longer name).
bool has_word(const std::string& line, const std::string& word) {
  for (size_t at = line.find(word); at != std::string::npos; at = line.find(word, at + 1)) {
    const bool starts = at == 0 || !is_word_char(line[at - 1]);
    const bool ends = at + word.size() == line.size() || !is_word_char(line[at + word.size()]);
    if (starts && ends) return true;
  }
  return false;
}

// `name` appears in backticks, or as a word of a Markdown heading.
bool documented(const std::string& doc, std::string_view name) {
  const std::string n(name);
  if (doc.find("`" + n + "`") != std::string::npos) return true;
  for (const std::string& line : lines_of(doc)) {
    if (line.starts_with("#") && has_word(line, n)) return true;
  }
  return false;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The project's rule ids, in order.
std::vector<std::string> expected_rule_ids() {
  const std::vector<std::pair<std::string, int>> groups = {
      {"ROLE", 6}, {"ACC", 10}, {"ORD", 9}, {"KEY", 7}, {"BEN", 7},
      {"TEC", 2},  {"GTM", 3},  {"MRG", 6}, {"LED", 3}};
  std::vector<std::string> ids;
  for (const auto& [group, count] : groups) {
    for (int i = 1; i <= count; ++i) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "R-%s-%02d", group.c_str(), i);
      ids.emplace_back(buf);
    }
  }
  return ids;
}

const std::regex kRuleId(R"(R-[A-Z]+-[0-9]{2})");

TEST(Docs, every_command_type_is_in_commands_md) {
  const std::string doc = read_doc("docs/commands.md");
  std::vector<std::string> missing;
  for (std::string_view name : mledger::command_type_names()) {
    if (!documented(doc, name)) missing.emplace_back(name);
  }
  EXPECT_TRUE(missing.empty()) << "docs/commands.md does not document: " << join(missing);
}

TEST(Docs, every_event_type_is_in_events_md) {
  const std::string doc = read_doc("docs/events.md");
  std::vector<std::string> missing;
  for (std::string_view name : mledger::event_type_names()) {
    if (!documented(doc, name)) missing.emplace_back(name);
  }
  EXPECT_TRUE(missing.empty()) << "docs/events.md does not document: " << join(missing);
}

TEST(Docs, every_rejection_code_is_in_commands_md) {
  const std::string doc = read_doc("docs/commands.md");
  std::vector<std::string> missing;
  for (mledger::RejectionCode code : mledger::all_rejection_codes()) {
    if (!documented(doc, mledger::code_name(code))) {
      missing.emplace_back(mledger::code_name(code));
    }
  }
  EXPECT_TRUE(missing.empty()) << "docs/commands.md does not name the rejection codes: "
                               << join(missing);
}

TEST(Docs, rules_md_holds_exactly_the_project_rule_ids) {
  const std::string doc = read_doc("docs/rules.md");
  const std::vector<std::string> expected = expected_rule_ids();
  const std::set<std::string> expected_set(expected.begin(), expected.end());

  std::set<std::string> found;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), kRuleId); it != std::sregex_iterator();
       ++it) {
    found.insert(it->str());
  }
  std::vector<std::string> missing, unknown;
  for (const auto& id : expected) {
    if (!found.contains(id)) missing.push_back(id);
  }
  for (const auto& id : found) {
    if (!expected_set.contains(id)) unknown.push_back(id);
  }
  EXPECT_TRUE(missing.empty()) << "docs/rules.md lacks the rule ids: " << join(missing);
  EXPECT_TRUE(unknown.empty()) << "docs/rules.md names rule ids that do not exist: "
                               << join(unknown);

  // Each rule has its own entry (a heading or a bullet starting with the id
  // in backticks), once, in the project's order.
  const std::regex entry(R"(^(?:#+ |- )`(R-[A-Z]+-[0-9]{2})`)");
  std::vector<std::string> entries;
  for (const std::string& line : lines_of(doc)) {
    std::smatch m;
    if (std::regex_search(line, m, entry)) entries.push_back(m[1].str());
  }
  EXPECT_EQ(join(entries), join(expected))
      << "docs/rules.md must have one entry per rule id, in order";
}

TEST(Docs, every_rejection_rule_id_is_a_documented_rule) {
  const std::vector<std::string> expected = expected_rule_ids();
  const std::set<std::string> known(expected.begin(), expected.end());
  std::vector<std::string> unknown;
  for (mledger::RejectionCode code : mledger::all_rejection_codes()) {
    const std::string rule(mledger::rule_id(code));
    if (!known.contains(rule)) unknown.push_back(std::string(mledger::code_name(code)) + " -> " + rule);
  }
  EXPECT_TRUE(unknown.empty()) << "rejection codes naming rules docs/rules.md does not have: "
                               << join(unknown);
}

TEST(Docs, every_command_example_in_commands_md_parses) {
  const std::string doc = read_doc("docs/commands.md");
  bool in_json = false;
  int line_no = 0, examples = 0;
  std::set<std::string> types_with_example;
  std::vector<std::string> failures;
  for (const std::string& line : lines_of(doc)) {
    ++line_no;
    if (line.starts_with("```")) {
      in_json = !in_json && line == "```json";
      continue;
    }
    if (!in_json || !line.starts_with("{\"command_id\"")) continue;
    ++examples;
    auto parsed = mledger::json::parse_command(line, mledger::Instant{});
    if (!parsed.ok()) {
      failures.push_back("line " + std::to_string(line_no) + ": " + parsed.error().message());
      continue;
    }
    types_with_example.insert(std::string(mledger::command_type_name(parsed->command.body)));
  }
  EXPECT_GT(examples, 0) << "docs/commands.md has no command examples";
  EXPECT_TRUE(failures.empty()) << "examples in docs/commands.md that do not parse:\n"
                                << [&] {
                                     std::string s;
                                     for (const auto& f : failures) s += f + "\n";
                                     return s;
                                   }();
  std::vector<std::string> without;
  for (std::string_view name : mledger::command_type_names()) {
    if (!types_with_example.contains(std::string(name))) without.emplace_back(name);
  }
  EXPECT_TRUE(without.empty()) << "command types without a JSON example in docs/commands.md: "
                               << join(without);
}

// --- Per command: the codes its decider can return are the ones documented ---------
// A static reading of the deciders (domain/decide/*.cc, domain/account/enroll.cc):
// each top-level function's body names the RejectionCode values it can return
// and the functions it calls; a command's codes are those of its `on(const X&`
// overload and everything it calls, transitively (an over-approximation where
// a helper serves several commands, so a helper's code is documented wherever
// the helper runs). The permission check's codes are listed apart (Permission:).

struct DeciderFunction {
  std::string name;
  std::string command;  // "UpdateCompanyInfo" for `on(const UpdateCompanyInfo&`
  std::set<std::string> codes;
  std::set<std::string> calls;
};

std::vector<DeciderFunction> decider_functions(const std::string& source) {
  static const std::regex code_re(R"(RejectionCode::(\w+))");
  static const std::regex call_re(R"(\b([A-Za-z_]\w*)\s*\()");
  static const std::regex on_re(R"(^Verdict on\(const (\w+)&)");
  std::vector<DeciderFunction> out;
  std::string header, body;
  bool in_body = false;
  auto finish = [&] {
    DeciderFunction f;
    std::smatch m;
    if (std::regex_search(header, m, on_re)) f.command = m[1];
    if (std::regex_search(header, m, call_re)) f.name = m[1];
    for (std::sregex_iterator it(body.begin(), body.end(), code_re), end; it != end; ++it) f.codes.insert((*it)[1]);
    for (std::sregex_iterator it(body.begin(), body.end(), call_re), end; it != end; ++it) f.calls.insert((*it)[1]);
    out.push_back(std::move(f));
    in_body = false;
    header.clear();
    body.clear();
  };
  for (const std::string& line : lines_of(source)) {
    if (in_body) {
      if (line == "}") {
        finish();
      } else {
        body += line + "\n";
      }
      continue;
    }
    const bool top = !line.empty() && !std::isspace(static_cast<unsigned char>(line[0]));
    if (header.empty() && (!top || line.starts_with("#") || line.starts_with("/") || line.starts_with("}") ||
                           line.starts_with("namespace") || line.starts_with("template") ||
                           line.find('(') == std::string::npos)) {
      continue;
    }
    header += line + " ";
    if (line.ends_with("}") && line.find('{') != std::string::npos) {  // a one-line function
      body = line.substr(line.find('{'));
      finish();
    } else if (line.ends_with("{")) {
      in_body = true;
    } else if (line.ends_with(";")) {
      header.clear();
    }
  }
  return out;
}

std::string snake_case(const std::string& camel) {
  std::string out;
  for (char ch : camel) {
    if (std::isupper(static_cast<unsigned char>(ch))) {
      if (!out.empty()) out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    } else {
      out += ch;
    }
  }
  return out;
}

// command type -> the codes its decider can return.
std::map<std::string, std::set<std::string>> decider_codes() {
  std::vector<DeciderFunction> all;
  const fs::path root(MLEDGER_SOURCE_DIR);
  std::vector<fs::path> files = {root / "domain/account/enroll.cc"};
  for (const auto& entry : fs::directory_iterator(root / "domain/decide")) {
    if (entry.path().extension() == ".cc") files.push_back(entry.path());
  }
  for (const auto& file : files) {
    for (auto& f : decider_functions(mledger::testing::read_file(file.string()))) all.push_back(std::move(f));
  }
  std::map<std::string, std::set<std::string>> out;
  for (const DeciderFunction& root_fn : all) {
    if (root_fn.command.empty()) continue;
    std::set<std::string>& codes = out[snake_case(root_fn.command)];
    std::set<std::string> seen;
    std::vector<const DeciderFunction*> todo = {&root_fn};
    while (!todo.empty()) {
      const DeciderFunction* f = todo.back();
      todo.pop_back();
      codes.insert(f->codes.begin(), f->codes.end());
      for (const std::string& call : f->calls) {
        if (call == "on" || !seen.insert(call).second) continue;
        for (const DeciderFunction& g : all) {
          if (g.name == call && g.command.empty()) todo.push_back(&g);
        }
      }
    }
  }
  return out;
}

// The section of commands.md for one command type: from its heading to the next.
std::string command_section(const std::string& doc, const std::string& type) {
  const std::string heading = "### `" + type + "`\n";
  const size_t start = doc.find(heading);
  if (start == std::string::npos) return "";
  const size_t end = doc.find("\n#", start + heading.size());
  return doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The backticked rejection codes of the section's paragraph that starts with
// `label` ("Rejections:", "Permission:", "Not a rejection:"), or of the table
// that follows it.
std::set<std::string> codes_under(const std::string& section, const std::string& label) {
  std::set<std::string> out;
  const size_t at = section.find(label);
  if (at == std::string::npos) return out;
  size_t end = section.find("\n\n", at);
  if (end != std::string::npos && section.compare(end, 3, "\n\n|") == 0) end = section.find("\n\n", end + 2);
  const std::string para = section.substr(at, end == std::string::npos ? std::string::npos : end - at);
  static const std::regex code_re("`([a-z0-9_]+)`");
  for (std::sregex_iterator it(para.begin(), para.end(), code_re), e; it != e; ++it) {
    const std::string name = (*it)[1];
    for (mledger::RejectionCode known : mledger::all_rejection_codes()) {
      if (mledger::code_name(known) == name) out.insert(name);
    }
  }
  return out;
}

TEST(Docs, each_commands_rejections_in_commands_md_are_what_its_decider_can_return) {
  const std::string doc = read_doc("docs/commands.md");
  const auto scanned = decider_codes();
  std::vector<std::string> problems;
  for (std::string_view type_view : mledger::command_type_names()) {
    const std::string type(type_view);
    auto it = scanned.find(type);
    if (it == scanned.end()) {
      problems.push_back(type + ": no decider found in domain/decide");
      continue;
    }
    const std::string section = command_section(doc, type);
    const std::set<std::string> listed = codes_under(section, "Rejections:");
    std::set<std::string> elsewhere = codes_under(section, "Permission:");
    elsewhere.merge(codes_under(section, "Not a rejection:"));
    for (const std::string& code : it->second) {
      if (!listed.contains(code) && !elsewhere.contains(code)) {
        problems.push_back(type + " can return `" + code + "`, not listed under Rejections");
      }
    }
    for (const std::string& code : listed) {
      if (!it->second.contains(code)) problems.push_back(type + " lists `" + code + "`, which its decider never returns");
    }
  }
  EXPECT_TRUE(problems.empty()) << problems.size() << " mismatch(es):\n" << [&] {
    std::string all;
    for (const auto& p : problems) all += "  " + p + "\n";
    return all;
  }();
}

}  // namespace
