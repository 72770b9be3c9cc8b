#include "tests/faults/power_loss.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mledger::testing {

// What the shim recorded since begin(), for the file system under test.
struct PowerLossDisk::Journal {
  struct Overwrite {
    uint64_t ino = 0;
    size_t line = 0;
    uint64_t offset = 0;
    std::string old_bytes;
  };
  std::map<uint64_t, uint64_t> synced_bytes;  // inode -> size at its last F
  std::map<uint64_t, size_t> last_sync_line;  // inode -> line of its last F
  std::map<uint64_t, Listing> dirs;           // directory inode -> entries at its last D
  std::vector<Overwrite> overwrites;          // in journal order

  // The unsynced overwrites of `ino`, oldest first.
  std::vector<const Overwrite*> unsynced(uint64_t ino) const {
    const auto s = last_sync_line.find(ino);
    std::vector<const Overwrite*> out;
    for (const auto& o : overwrites) {
      if (o.ino == ino && (s == last_sync_line.end() || o.line > s->second)) out.push_back(&o);
    }
    return out;
  }
};

namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

struct stat stat_of(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + path);
  return st;
}

}  // namespace

PowerLossDisk::PowerLossDisk(std::string root, std::string scratch)
    : root_(std::move(root)), journal_path_(scratch + "/journal"), trash_(scratch + "/trash") {}

std::vector<std::string> PowerLossDisk::child_env() const {
  return {std::string("LD_PRELOAD=") + MLEDGER_POWERLOSS_SHIM,
          "MLEDGER_POWERLOSS_JOURNAL=" + journal_path_, "MLEDGER_POWERLOSS_TRASH=" + trash_};
}

std::string PowerLossDisk::kept_path(uint64_t ino) const {
  return trash_ + "/" + std::to_string(dev_) + "-" + std::to_string(ino);
}

PowerLossDisk::Listing PowerLossDisk::list(const std::string& dir) {
  Listing out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) throw std::runtime_error("cannot list " + dir);
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const char type = e->d_type == DT_REG ? 'f' : e->d_type == DT_DIR ? 'd' : 'o';
    out[name] = Entry{e->d_ino, type};
  }
  ::closedir(d);
  return out;
}

void PowerLossDisk::record_baseline(const std::string& dir, uint64_t dir_ino) {
  const Listing entries = list(dir);
  baseline_dirs_[dir_ino] = entries;
  for (const auto& [name, e] : entries) {
    const std::string path = dir + "/" + name;
    if (e.type == 'd') record_baseline(path, e.ino);
    if (e.type == 'f') baseline_sizes_[e.ino] = static_cast<uint64_t>(stat_of(path).st_size);
  }
}

void PowerLossDisk::begin() {
  std::filesystem::remove_all(trash_);
  std::filesystem::remove(journal_path_);
  std::filesystem::create_directories(trash_);
  baseline_dirs_.clear();
  baseline_sizes_.clear();
  const struct stat st = stat_of(root_);
  dev_ = st.st_dev;
  record_baseline(root_, st.st_ino);
}

// Links every file of the tree into the trash, so that the restore finds any
// inode wherever the process left it.
void PowerLossDisk::keep_all(const std::string& dir, PowerCut& cut) {
  for (const auto& [name, e] : list(dir)) {
    const std::string path = dir + "/" + name;
    if (e.type == 'd') keep_all(path, cut);
    if (e.type != 'f') continue;
    if (::link(path.c_str(), kept_path(e.ino).c_str()) != 0 && errno != EEXIST) {
      cut.problem = "cannot keep " + path;
    }
  }
}

void PowerLossDisk::restore_file(const std::string& path, uint64_t ino, const Journal& journal,
                                 std::mt19937& rng, PowerCut& cut) {
  const uint64_t size_now = static_cast<uint64_t>(stat_of(path).st_size);
  uint64_t durable = 0;
  if (auto s = journal.synced_bytes.find(ino); s != journal.synced_bytes.end()) {
    durable = s->second;
  } else if (auto b = baseline_sizes_.find(ino); b != baseline_sizes_.end()) {
    durable = b->second;
  }
  const bool torn = std::uniform_int_distribution<int>(0, 1)(rng) == 1;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    cut.problem = "cannot open " + path;
    return;
  }
  auto overwrites = journal.unsynced(ino);
  size_t survive = 0;  // the oldest `survive` unsynced overwrites reached the disk
  if (torn) survive = std::uniform_int_distribution<size_t>(0, overwrites.size())(rng);
  for (size_t i = overwrites.size(); i > survive; --i) {
    const auto* o = overwrites[i - 1];
    if (::pwrite(fd, o->old_bytes.data(), o->old_bytes.size(), static_cast<off_t>(o->offset)) !=
        static_cast<ssize_t>(o->old_bytes.size())) {
      cut.problem = "cannot undo an overwrite of " + path;
    }
    ++cut.overwrites_undone;
  }
  if (size_now > durable) {
    uint64_t keep = durable;
    if (torn) keep += std::uniform_int_distribution<uint64_t>(0, size_now - durable)(rng);
    if (::ftruncate(fd, static_cast<off_t>(keep)) != 0) cut.problem = "cannot truncate " + path;
    cut.bytes_dropped += size_now - keep;
    ++cut.files_truncated;
    if (keep > durable) ++cut.torn_files;
  }
  ::close(fd);
}

void PowerLossDisk::restore_dir(const std::string& dir, uint64_t durable_ino,
                                const Journal& journal, std::mt19937& rng, PowerCut& cut) {
  Listing durable;
  if (auto d = journal.dirs.find(durable_ino); d != journal.dirs.end()) {
    durable = d->second;
  } else if (auto b = baseline_dirs_.find(durable_ino); b != baseline_dirs_.end()) {
    durable = b->second;
  }
  Listing now = list(dir);
  for (const auto& [name, e] : now) {
    const auto d = durable.find(name);
    if (d != durable.end() && d->second.ino == e.ino && d->second.type == e.type) continue;
    std::filesystem::remove_all(dir + "/" + name);  // files: kept in the trash
    ++cut.entries_undone;
  }
  now = list(dir);
  for (const auto& [name, e] : durable) {
    const std::string path = dir + "/" + name;
    const bool present = now.count(name) != 0;
    if (e.type == 'f') {
      if (!present && ::link(kept_path(e.ino).c_str(), path.c_str()) != 0) {
        cut.problem = "the durable file " + path + " (inode " + std::to_string(e.ino) +
                      ") is gone: the shim did not keep it";
        continue;
      }
      if (!present) ++cut.entries_restored;
      restore_file(path, e.ino, journal, rng, cut);
    } else if (e.type == 'd') {
      if (!present) {
        std::filesystem::create_directory(path);
        ++cut.entries_restored;
      }
      restore_dir(path, e.ino, journal, rng, cut);
    }
  }
}

PowerCut PowerLossDisk::cut(std::mt19937& rng) {
  Journal journal;
  std::ifstream in(journal_path_);
  std::string line;
  for (size_t n = 0; std::getline(in, line); ++n) {
    std::istringstream fields(line);
    char kind = 0;
    uint64_t dev = 0, ino = 0;
    fields >> kind >> dev >> ino;
    if (dev != dev_) continue;
    if (kind == 'F') {
      fields >> journal.synced_bytes[ino];
      journal.last_sync_line[ino] = n;
    } else if (kind == 'D') {
      Listing& entries = journal.dirs[ino];
      entries.clear();
      for (std::string entry; fields >> entry;) {
        const size_t a = entry.find('/'), b = entry.rfind('/');
        entries[entry.substr(0, a)] = Entry{std::stoull(entry.substr(a + 1, b - a - 1)), entry[b + 1]};
      }
    } else if (kind == 'O') {
      Journal::Overwrite o{ino, n, 0, {}};
      std::string hex;
      fields >> o.offset >> hex;
      o.old_bytes = unhex(hex);
      journal.overwrites.push_back(std::move(o));
    }
  }
  PowerCut cut;
  keep_all(root_, cut);
  restore_dir(root_, stat_of(root_).st_ino, journal, rng, cut);
  return cut;
}

}  // namespace mledger::testing
