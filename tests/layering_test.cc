// The architecture rule, checked on the source tree: domain/ and projections/
// are pure (no storage, serialization, messaging or logging headers, no
// adapter or tool code, no clock, no randomness); nothing but tools/ depends
// on tools/.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace {

namespace fs = std::filesystem;

std::vector<std::string> violations(const std::string& dir, const std::regex& forbidden) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(MLEDGER_SOURCE_DIR) / dir)) {
    const auto ext = entry.path().extension();
    if (ext != ".h" && ext != ".cc") continue;
    std::ifstream in(entry.path());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (std::regex_search(line, forbidden)) {
        out.push_back(entry.path().string() + ":" + std::to_string(n) + ": " + line);
      }
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::ostringstream s;
  for (const auto& x : v) s << x << "\n";
  return s.str();
}

const std::regex kImpureInclude(
    R"(#\s*include\s*[<"](rocksdb|capnp|kj|librdkafka|spdlog|fmt|nlohmann|openssl|adapters|tools)/)");
const std::regex kClockOrRandom(
    R"(system_clock|steady_clock|high_resolution_clock|random_device|\brand\(|\btime\(|gettimeofday|clock_gettime|getenv|std::mt19937)");

TEST(Layering, domain_includes_no_adapter_library_and_reads_no_clock) {
  EXPECT_EQ(join(violations("domain", kImpureInclude)), "");
  EXPECT_EQ(join(violations("domain", kClockOrRandom)), "");
  EXPECT_EQ(join(violations("domain", std::regex(R"(#\s*include\s*"projections/)"))), "");
}

TEST(Layering, projections_include_no_adapter_library_and_read_no_clock) {
  EXPECT_EQ(join(violations("projections", kImpureInclude)), "");
  EXPECT_EQ(join(violations("projections", kClockOrRandom)), "");
}

TEST(Layering, adapters_do_not_depend_on_tools) {
  EXPECT_EQ(join(violations("adapters", std::regex(R"(#\s*include\s*"tools/)"))), "");
}

TEST(Layering, the_checker_itself_catches_a_violation) {
  // Guards the regexes above against silently matching nothing.
  EXPECT_TRUE(std::regex_search("#include <rocksdb/db.h>", kImpureInclude));
  EXPECT_TRUE(std::regex_search("#include \"adapters/x.h\"", kImpureInclude));
  EXPECT_TRUE(std::regex_search("auto t = std::chrono::system_clock::now();", kClockOrRandom));
  EXPECT_TRUE(std::regex_search("int64_t t = time(nullptr);", kClockOrRandom));
  EXPECT_FALSE(std::regex_search("// one writer at a time (the group", kClockOrRandom));
  EXPECT_FALSE(std::regex_search("#include \"domain/core/time.h\"", kImpureInclude));
}

}  // namespace
