#pragma once
// The memory the process holds, as its allocator and the kernel count it.
//
// heap_in_use_bytes(): the heap bytes allocated and not freed, from the
// allocator's own count: jemalloc's "stats.allocated" when jemalloc is the
// malloc (the mledger binary links it), glibc's mallinfo2() otherwise (test
// binaries). It frees as well as grows (a bulk load forgetting part of what
// it holds), which the resident set does only once freed pages are given
// back (release_free_heap()).
//
// resident_set_bytes(): the process's resident set now, as the kernel counts
// it (/proc/self/statm): the heap as the allocator holds it (freed pages not
// yet given back and fragmentation included), every library's allocations
// (RocksDB's caches, table readers and memtables), stacks, and the program's
// and libraries' pages. peak_resident_set_bytes(): its high-water mark.
//
// Thread-safe. heap_in_use_bytes() and resident_set_bytes() cost a few
// microseconds (jemalloc refreshes its merged statistics; a read of /proc):
// call them per batch, not per item. release_free_heap() costs a pass over
// the allocator's free pages: call it after freeing much at once.

#include <cstddef>
#include <cstdint>

namespace mledger {

size_t heap_in_use_bytes();

// Bytes the calling thread has allocated minus those it has freed since it
// started (jemalloc's per-thread counters; cheap). 0 under another
// allocator. The difference of two readings around a piece of work is what
// that work left allocated.
int64_t thread_heap_net_bytes();

// 0 where /proc/self/statm cannot be read.
size_t resident_set_bytes();
// 0 where getrusage() fails.
size_t peak_resident_set_bytes();

// Gives the heap's free pages back to the system now (jemalloc: purges every
// arena and the calling thread's cache; glibc: malloc_trim), so that the
// resident set falls with what was freed instead of some seconds later.
void release_free_heap();

}  // namespace mledger
