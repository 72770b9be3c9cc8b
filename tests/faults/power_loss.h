#pragma once
// A simulated power cut for processes run under the power-loss shim
// (power_loss_shim.c): after the processes were killed (SIGKILL), cut()
// turns the directory tree under `root` into what a disk that kept only the
// synced data could hold:
//
// - a directory holds the entries listed at its last fsync (the shim's D
//   lines), or at begin() when it had none: files created, renamed in or
//   deleted since are undone (deleted files come back from the shim's trash);
// - a file holds its bytes up to its last synced size (F lines; its size at
//   begin() when never synced since), and the bytes overwritten since that
//   sync get their old content back (O lines);
// - in a torn cut, chosen at random per file, a random prefix of the unsynced
//   appended bytes and of the unsynced overwrites survives instead of none
//   (a write cut off in the middle).
//
// The whole tree is taken as durable at begin(). A file or inode that the
// model needs and cannot find is a harness failure (cut() returns it).
//
// Usage: begin(); run processes with child_env(); kill them; cut(rng); check.

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace mledger::testing {

struct PowerCut {
  int files_truncated = 0;     // files that lost unsynced bytes
  uint64_t bytes_dropped = 0;  // unsynced bytes dropped
  int torn_files = 0;          // files that kept a part of their unsynced bytes
  int entries_undone = 0;      // directory entries created or renamed in, removed
  int entries_restored = 0;    // directory entries deleted or renamed away, put back
  int overwrites_undone = 0;   // unsynced overwrites given their old bytes back
  std::string problem;         // non-empty: the harness could not apply the model
};

class PowerLossDisk {
 public:
  // `root`: the tree under test; `scratch`: a directory on the same file
  // system, outside root, for the shim's journal and trash.
  PowerLossDisk(std::string root, std::string scratch);

  // Takes the tree as it is now as durable and starts a new journal.
  void begin();

  // Environment entries (NAME=value) that put a child under the shim.
  std::vector<std::string> child_env() const;

  // Drops what was not synced since begin(). Call with no process running.
  PowerCut cut(std::mt19937& rng);

 private:
  struct Entry {
    uint64_t ino = 0;
    char type = 'o';  // f file, d directory, o other
  };
  using Listing = std::map<std::string, Entry>;
  struct Journal;

  static Listing list(const std::string& dir);
  void record_baseline(const std::string& dir, uint64_t dir_ino);
  void keep_all(const std::string& dir, PowerCut& cut);
  void restore_dir(const std::string& dir, uint64_t durable_ino, const Journal& journal,
                   std::mt19937& rng, PowerCut& cut);
  void restore_file(const std::string& path, uint64_t ino, const Journal& journal,
                    std::mt19937& rng, PowerCut& cut);
  std::string kept_path(uint64_t ino) const;

  std::string root_;
  std::string journal_path_;
  std::string trash_;
  uint64_t dev_ = 0;
  std::map<uint64_t, Listing> baseline_dirs_;
  std::map<uint64_t, uint64_t> baseline_sizes_;
};

}  // namespace mledger::testing
