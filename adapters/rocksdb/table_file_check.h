#pragma once
// Which table files of a database fail RocksDB's own checks, for naming the
// damage when an open fails on one (RocksDB's message may name the MANIFEST
// that lists it instead). Each *.sst file in the directory is opened on its
// own (rocksdb::SstFileReader) and every block's checksum verified. Reads
// every table file: for the failure path only.

#include <string>
#include <vector>

namespace mledger {

// "000032.sst (Corruption: ...)" for each damaged file, in name order; empty
// when every table file checks (or the directory cannot be listed).
[[nodiscard]] std::vector<std::string> damaged_table_files(const std::string& dir);

}  // namespace mledger
