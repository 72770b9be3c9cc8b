// mledger schema: print the event schema consumers decode with.

#include <cstdio>

#include "tools/mledger/args.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/schema_text.h"

namespace mledger::cli {

namespace {
constexpr const char* kHelp = R"(usage: mledger schema

Prints the Cap'n Proto schema of the ledger's events (mledger.capnp), exactly as
this build encodes them: an Envelope{prevHash, hash, body} whose body is the
canonical encoding of one EventBody. The same file is installed as
share/mledger/mledger.capnp. Save it and decode with any Cap'n Proto library.
)";
}  // namespace

int run_schema(const Argv& argv) {
  Args args;
  if (!args.parse(argv, {}, {"help"}) || !args.positionals().empty()) {
    std::fprintf(stderr, "mledger schema: takes no arguments\n\n%s", kHelp);
    return kExitUsage;
  }
  if (args.flag("help")) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  const std::string_view text = wire_schema_text();
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
}

}  // namespace mledger::cli
