#pragma once
// RawLedger: a ledger's RocksDB opened through the RocksDB API itself, with
// every column family the directory holds (as RocksDB lists them), for tests
// that change stored bytes as a disk fault or a tamperer would, read what the
// ledger keeps, or hold its lock. Adding a column family to the ledger needs
// no change here. Closed (handles destroyed, database deleted) when it goes.

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <string>
#include <vector>

namespace mledger::testing {

class RawLedger {
 public:
  explicit RawLedger(const std::string& path, bool read_only = false) {
    status_ = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names_);
    if (!status_.ok()) return;
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const auto& n : names_) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    status_ = read_only ? rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, families, &handles_, &db_)
                        : rocksdb::DB::Open(rocksdb::DBOptions(), path, families, &handles_, &db_);
  }
  ~RawLedger() {
    for (auto* h : handles_) EXPECT_TRUE(db_->DestroyColumnFamilyHandle(h).ok());
    delete db_;
  }
  RawLedger(const RawLedger&) = delete;
  RawLedger& operator=(const RawLedger&) = delete;

  bool ok() const { return status_.ok() && db_ != nullptr; }
  std::string error() const { return status_.ToString(); }
  rocksdb::DB* db() const { return db_; }

  // The handle of the family `name`; a missing family fails the test.
  rocksdb::ColumnFamilyHandle* family(const std::string& name) const {
    const auto at = std::find(names_.begin(), names_.end(), name);
    EXPECT_NE(at, names_.end()) << "no column family " << name;
    return at == names_.end() ? nullptr : handles_[static_cast<size_t>(at - names_.begin())];
  }

 private:
  rocksdb::Status status_;
  std::vector<std::string> names_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::DB* db_ = nullptr;
};

}  // namespace mledger::testing
