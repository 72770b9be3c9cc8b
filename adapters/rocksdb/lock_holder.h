#pragma once
// Who holds a RocksDB directory's LOCK file, for a refusal an operator can act
// on ("held by process 4711: mledger serve ...") instead of RocksDB's
// "While lock file: ...: Resource temporarily unavailable".

#include <rocksdb/status.h>

#include <string>

namespace mledger {

// Whether `s` is RocksDB's refusal to open a directory whose LOCK another
// process (or this one) holds.
bool is_lock_refusal(const rocksdb::Status& s);

// "process PID: COMMAND LINE" for the process holding `dir`/LOCK, as the
// kernel reports it (fcntl F_GETLK, the lock RocksDB takes); "this process"
// when the lock is ours; "another process" when the holder cannot be named.
std::string lock_holder(const std::string& dir);

}  // namespace mledger
