#include "adapters/rocksdb/table_file_check.h"

#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>

#include <algorithm>
#include <filesystem>

namespace mledger {

std::vector<std::string> damaged_table_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".sst") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> damaged;
  for (const auto& file : files) {
    rocksdb::SstFileReader reader{rocksdb::Options()};
    rocksdb::Status s = reader.Open(file);
    if (s.ok()) s = reader.VerifyChecksum();
    if (!s.ok()) damaged.push_back(std::filesystem::path(file).filename().string() + " (" + s.ToString() + ")");
  }
  return damaged;
}

}  // namespace mledger
