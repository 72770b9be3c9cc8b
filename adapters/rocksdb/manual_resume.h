#pragma once
// After a full disk, RocksDB's own recovery waits until the file system has
// a whole write buffer (64 MiB here) free, and while it waits DB::Resume()
// answers Busy: on a small disk writes would never resume. The listener this
// returns turns that automatic recovery off, so that the owner's
// DB::Resume() (tried on the next write, see rocksdb_event_log.h) is what
// brings writes back, as soon as the flush it makes fits.

#include <rocksdb/listener.h>

#include <memory>

namespace mledger {

[[nodiscard]] std::shared_ptr<rocksdb::EventListener> make_manual_resume_listener();

}  // namespace mledger
