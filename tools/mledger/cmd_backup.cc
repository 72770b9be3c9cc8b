// mledger backup / restore: a consistent copy of the event log (RocksDB's
// BackupEngine) with a manifest holding the log's digest, and a restore that
// recomputes the chain and compares it with that digest. docs/operations.md.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "adapters/crypto/ed25519.h"
#include "adapters/crypto/sha256.h"
#include "adapters/json/command_json.h"
#include "adapters/json/json_access.h"
#include "adapters/rocksdb/rocksdb_event_log.h"
#include "adapters/system/file_writes.h"
#include "adapters/system/secret_file.h"
#include "adapters/system/system_clock.h"
#include "tools/mledger/atomic_file.h"
#include "tools/mledger/commands.h"
#include "tools/mledger/runtime.h"
#include "tools/mledger/subcommand.h"

namespace mledger::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kBackupHelp = R"(usage: mledger backup DIR [--data D] [--json]

Backs the ledger at D (default ./mledger-data) up into DIR (new or empty):
first recomputes the whole hash chain (a broken chain is not backed up), then
copies every RocksDB file with RocksDB's BackupEngine (memtables flushed, each
file checksummed and synced, the backup verified against the checksums), and
writes DIR/mledger-backup.json with the log's digest (seq, head). The
tree-head signing key (D/tree-head-key.pem) is copied too, as
DIR/tree-head-key.pem (mode 0600), and its public half recorded in the
manifest, so that a restored ledger goes on signing heads auditors can
check with the same public key: keep the backup as secret as D.
The ledger is opened for writing while this runs: stop any process writing to
it first (the command says so when one holds it). Projections are not backed
up; they are rebuilt from the events after a restore.
Exit: 0 done; 1 the chain is broken; 2 bad usage or DIR not empty; 3 storage
failure or the ledger is open elsewhere.
)";

constexpr const char* kRestoreHelp = R"(usage: mledger restore DIR --data D [--json]

Restores the backup in DIR into D, which must be absent or empty: checks every
backed-up file against its checksum, restores, opens the restored ledger,
recomputes the whole hash chain and compares its digest with the one recorded
in DIR/mledger-backup.json. Prints both. The tree-head signing key, when the
backup holds one, is restored as D/tree-head-key.pem (mode 0600) after its
public half is checked against the manifest's; a backup without one says so
(the next command that writes creates a new key, whose heads do not verify
with the old public key). On any failure D is left as it was (absent or
empty).
Exit: 0 restored and equal; 1 the backup is corrupted, the chain is broken or
the digests differ; 2 bad usage, D not empty, or DIR holds no mledger backup;
3 storage failure.
)";

constexpr const char* kManifestName = "mledger-backup.json";
constexpr const char* kManifestFormat = "mledger-backup";
constexpr int kManifestFormatVersion = 1;
constexpr size_t kManifestBytesMax = 64 * 1024;
constexpr const char* kKeyFileName = "tree-head-key.pem";
constexpr size_t kKeyFileBytesMax = 4096;

bool absent_or_empty(const std::string& dir) {
  std::error_code ec;
  return !fs::exists(dir, ec) || (fs::is_directory(dir, ec) && fs::is_empty(dir, ec));
}

// Leaves `dir` as it was before we wrote into it: absent, or empty.
void clear_dir(const std::string& dir, bool existed) {
  std::error_code ec;
  if (!existed) {
    fs::remove_all(dir, ec);
    return;
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);
}

void print_digest(const char* label, const LogDigest& d) {
  std::printf("%s seq %llu head %s\n", label, static_cast<unsigned long long>(d.seq),
              to_hex(d.head).c_str());
}

struct Manifest {
  LogDigest digest;              // the log's, at backup time
  std::string tree_head_key_pem;  // the signing key's public half; "" when none was backed up
};

// Reads DIR/mledger-backup.json.
StatusOr<Manifest> read_manifest(const std::string& dir) {
  const std::string path = (fs::path(dir) / kManifestName).string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(StatusCode::not_found, dir + " holds no mledger backup (" + path + " is missing)");
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kManifestBytesMax) return fail(StatusCode::corruption, path + " is too long");
  const auto j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  std::string format;
  uint64_t version = 0;
  if (!json::get_string(j, "format", &format) || format != kManifestFormat) {
    return fail(StatusCode::corruption, path + " is not an mledger backup manifest");
  }
  if (!json::get_uint(j, "format_version", &version) || version != kManifestFormatVersion) {
    return fail(StatusCode::corruption, path + ": this build reads format_version " +
                                            std::to_string(kManifestFormatVersion));
  }
  Manifest m;
  const nlohmann::json* ledger = json::field(j, "ledger");
  if (!ledger || !json::get_uint(*ledger, "seq", &m.digest.seq) || !json::get_hash(*ledger, "head", &m.digest.head)) {
    return fail(StatusCode::corruption, path + ": ledger must be {\"seq\": N, \"head\": HEX}");
  }
  if (json::field(j, "tree_head_public_key") && !json::get_string(j, "tree_head_public_key", &m.tree_head_key_pem)) {
    return fail(StatusCode::corruption, path + ": tree_head_public_key must be a PEM string");
  }
  return m;
}

// Copies the tree-head signing key of `data` (when it has one) into the
// backup `dir`; its public key (PEM), or "" when the ledger has none.
StatusOr<std::string> back_up_key(const std::string& data, const std::string& dir) {
  const std::string from = tree_head_key_path(data);
  std::error_code ec;
  if (!fs::exists(from, ec)) return std::string();
  auto key = Ed25519PrivateKey::load(from);
  if (!key.ok()) return Err{key.error()};
  if (Status s = copy_secret_file("tree-head key", from, (fs::path(dir) / kKeyFileName).string(), kKeyFileBytesMax);
      !s.ok()) {
    return Err{s};
  }
  return key->public_pem();
}

// Restores the backup's key into `data` after checking it is the manifest's;
// false when the backup holds none.
StatusOr<bool> restore_key(const std::string& dir, const std::string& data, const std::string& recorded_pem) {
  const std::string from = (fs::path(dir) / kKeyFileName).string();
  std::error_code ec;
  if (recorded_pem.empty()) return false;  // a backup from before keys were backed up, or of a ledger without one
  if (!fs::exists(from, ec)) {
    return fail(StatusCode::corruption, "the manifest records a tree-head key but " + from + " is missing");
  }
  auto key = Ed25519PrivateKey::load(from);
  if (!key.ok()) return Err{key.error()};
  if (key->public_pem() != recorded_pem) {
    return fail(StatusCode::corruption, from + " is not the tree-head key the manifest records");
  }
  if (Status s = copy_secret_file("tree-head key", from, tree_head_key_path(data), kKeyFileBytesMax); !s.ok()) {
    return Err{s};
  }
  return true;
}

// OK when every family but the chain's reads whole (RocksDbEventLog::
// verify_storage); corruption naming the damaged family and key otherwise.
Status storage_whole(RocksDbEventLog& log) {
  auto storage = log.verify_storage({});
  if (!storage.ok()) return storage.error();
  if (storage->whole()) return Status::Ok();
  return Status(StatusCode::corruption, "damaged: the " + storage->family + " family" +
                                            (storage->key.empty() ? "" : ", key " + storage->key) + ": " +
                                            storage->problem);
}

// What restore prints once the restored ledger equals the manifest.
void print_restored(const std::string& dir, const std::string& data, const ChainReport& report,
                    const LogDigest& recorded, bool key_restored, bool as_json) {
  if (as_json) {
    std::printf("%s\n", json::dump_text({{"restored", data},
                                         {"tree_head_key_restored", key_restored},
                                         {"events", report.events_checked},
                                         {"manifest", json::digest_to_json(recorded)},
                                         {"restored_digest", json::digest_to_json(report.digest)},
                                         {"equal", true}})
                            .c_str());
    return;
  }
  std::printf("restored %s into %s: chain verified, %llu events\n", dir.c_str(), data.c_str(),
              static_cast<unsigned long long>(report.events_checked));
  print_digest("manifest digest:", recorded);
  print_digest("restored digest:", report.digest);
  std::printf("equal. Rebuild the projections from the events before serving reads.\n");
  std::printf("%s\n", key_restored ? "tree-head signing key restored (the same public key)."
                                   : "this backup holds no tree-head signing key: the next command that writes "
                                     "creates a new one, and its heads do not verify with the old public key.");
}

}  // namespace

int run_backup(const Argv& argv) {
  const char* name = "backup";
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kBackupHelp, argv, {}, {}, 1, &args, &code)) return code;
  const std::string dir = args.positionals()[0];
  const std::string data = data_dir(args);
  if (!absent_or_empty(dir)) return usage_error(name, dir + " is not empty; give a new directory", kBackupHelp);
  std::error_code ec;
  if (Status s = require_ledger(data); !s.ok()) return report_failure(name, s, kExitFailure);
  RocksDbOptions options;
  options.path = data;
  options.create_if_missing = false;
  auto log = RocksDbEventLog::open(options);
  if (!log.ok()) {
    if (log.error().code() == StatusCode::unavailable) {
      std::fprintf(stderr,
                   "mledger %s: the ledger at %s is open for writing by another process (its LOCK "
                   "is held); stop that process and run backup again\n(%s)\n",
                   name, data.c_str(), log.error().message().c_str());
      return kExitFailure;
    }
    return report_failure(name, log.error(), kExitFailure);
  }
  auto report = (*log)->verify_chain({});
  if (!report.ok()) return report_failure(name, report.error(), kExitFailure);
  if (report->first_bad_seq) {
    std::fprintf(stderr, "mledger %s: chain broken at seq %llu: %s; nothing backed up\n", name,
                 static_cast<unsigned long long>(*report->first_bad_seq), report->problem.c_str());
    return kExitRejected;
  }
  if (Status whole = storage_whole(**log); !whole.ok()) {
    const bool damaged = whole.code() == StatusCode::corruption;
    std::fprintf(stderr, "mledger %s: %s; nothing backed up\n", name, whole.message().c_str());
    return damaged ? kExitRejected : kExitFailure;
  }
  const bool existed = fs::exists(dir, ec);
  Status s = make_parent_directories("backup folder", dir);
  if (s.ok()) s = (*log)->create_backup(dir);
  StatusOr<std::string> key_pem = s.ok() ? back_up_key(data, dir) : StatusOr<std::string>(std::string());
  if (s.ok() && !key_pem.ok()) s = key_pem.error();
  SystemClock clock;
  nlohmann::json manifest = {{"format", kManifestFormat},
                             {"format_version", kManifestFormatVersion},
                             {"created_at", format_rfc3339(clock.now())},
                             {"source", fs::absolute(data, ec).string()},
                             {"events", report->events_checked},
                             {"ledger", json::digest_to_json(report->digest)}};
  if (key_pem.ok() && !key_pem->empty()) manifest["tree_head_public_key"] = *key_pem;
  if (s.ok()) {
    s = write_file_atomically((fs::path(dir) / kManifestName).string(),
                              json::dump_text(manifest) + "\n", /*overwrite=*/false);
  }
  if (!s.ok()) {
    clear_dir(dir, existed);
    return report_failure(name, s, kExitFailure);
  }
  if (args.flag("json")) {
    std::printf("%s\n", json::dump_text({{"backup", dir}, {"manifest", manifest}}).c_str());
  } else {
    std::printf("backed up %s to %s (chain verified, %llu events)\n", data.c_str(), dir.c_str(),
                static_cast<unsigned long long>(report->events_checked));
    print_digest("digest:", report->digest);
  }
  return kExitOk;
}

int run_restore(const Argv& argv) {
  const char* name = "restore";
  Args args;
  int code = 0;
  if (!parse_subcommand(name, kRestoreHelp, argv, {}, {}, 1, &args, &code)) return code;
  const std::string dir = args.positionals()[0];
  if (!args.value("data")) return usage_error(name, "--data is required (where to restore)", kRestoreHelp);
  const std::string data = data_dir(args);
  if (!absent_or_empty(data)) {
    return usage_error(name, data + " is not empty; restore into a new directory", kRestoreHelp);
  }
  auto manifest = read_manifest(dir);
  if (!manifest.ok()) {
    return report_failure(name, manifest.error(),
                     manifest.error().code() == StatusCode::not_found ? kExitUsage : kExitRejected);
  }
  const LogDigest* recorded = &manifest->digest;
  std::error_code ec;
  const bool existed = fs::exists(data, ec);
  // Every failure below leaves `data` as it was: absent or empty.
  auto failed = [&](const Status& s, int exit_code) {
    clear_dir(data, existed);
    report_failure(name, s, exit_code);
    std::fprintf(stderr, "mledger %s: nothing restored; %s left %s\n", name, data.c_str(),
                 existed ? "empty" : "absent");
    return exit_code;
  };
  Status restored = make_parent_directories("ledger", data);
  if (restored.ok()) restored = RocksDbEventLog::restore_backup(dir, data);
  if (Status s = restored; !s.ok()) {
    return failed(s, s.code() == StatusCode::io_error ? kExitFailure : kExitRejected);
  }
  ChainReport report;
  {
    auto log = open_log_read_only(data);
    if (!log.ok()) return failed(log.error(), kExitRejected);
    auto r = (*log)->verify_chain({});
    if (!r.ok()) return failed(r.error(), kExitFailure);
    report = *r;
    if (Status whole = storage_whole(**log); !whole.ok() && !report.first_bad_seq) {
      return failed(whole, whole.code() == StatusCode::corruption ? kExitRejected : kExitFailure);
    }
  }
  if (report.first_bad_seq) {
    return failed(Status(StatusCode::corruption,
                         "the restored chain is broken at seq " + std::to_string(*report.first_bad_seq) +
                             ": " + report.problem),
                  kExitRejected);
  }
  if (report.digest != *recorded) {
    return failed(Status(StatusCode::corruption,
                         "the restored ledger's digest (seq " + std::to_string(report.digest.seq) +
                             " head " + to_hex(report.digest.head) + ") differs from the manifest's (seq " +
                             std::to_string(recorded->seq) + " head " + to_hex(recorded->head) + ")"),
                  kExitRejected);
  }
  auto key_restored = restore_key(dir, data, manifest->tree_head_key_pem);
  if (!key_restored.ok()) {
    return failed(key_restored.error(),
                  key_restored.error().code() == StatusCode::io_error ? kExitFailure : kExitRejected);
  }
  print_restored(dir, data, report, *recorded, *key_restored, args.flag("json"));
  return kExitOk;
}

}  // namespace mledger::cli
