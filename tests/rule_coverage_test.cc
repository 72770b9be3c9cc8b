// The rule-coverage check: every rule id in docs/rules.md has at least one
// test where it allows and one where it rejects, each naming the id in the
// test's name ("R_ACC_05_allows_...", "R_ACC_05_rejects_...").

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> rule_ids() {
  const std::string rules = read(fs::path(MLEDGER_SOURCE_DIR) / "docs" / "rules.md");
  std::set<std::string> ids;
  const std::regex id(R"(R-[A-Z]+-[0-9]{2})");
  for (auto it = std::sregex_iterator(rules.begin(), rules.end(), id); it != std::sregex_iterator(); ++it) {
    ids.insert(it->str());
  }
  return ids;
}

// Test names found in tests/**.cc: TEST(Suite, Name), TEST_F(...), TEST_P(...).
std::string all_test_names() {
  std::string names;
  const std::regex test(R"(TEST(?:_F|_P)?\s*\(\s*\w+\s*,\s*(\w+)\s*\))");
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(MLEDGER_SOURCE_DIR) / "tests")) {
    if (!entry.is_regular_file() || entry.path().extension() != ".cc") continue;
    const std::string text = read(entry.path());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), test); it != std::sregex_iterator(); ++it) {
      names += (*it)[1].str() + "\n";
    }
  }
  return names;
}

TEST(RuleCoverage, docs_rules_lists_the_rule_ids) {
  const auto ids = rule_ids();
  EXPECT_GE(ids.size(), 50u);
  EXPECT_TRUE(ids.contains("R-KEY-01"));
  EXPECT_TRUE(ids.contains("R-LED-03"));
}

TEST(RuleCoverage, every_rule_has_a_test_that_allows_and_one_that_rejects) {
  const std::string names = all_test_names();
  std::string missing;
  for (const std::string& id : rule_ids()) {
    std::string stem = id;
    for (char& c : stem) c = c == '-' ? '_' : c;
    for (const char* verdict : {"_allows", "_rejects"}) {
      if (names.find(stem + verdict) == std::string::npos) missing += "  " + stem + verdict + "\n";
    }
  }
  EXPECT_TRUE(missing.empty()) << "rules without a test named for them:\n" << missing;
}

}  // namespace
