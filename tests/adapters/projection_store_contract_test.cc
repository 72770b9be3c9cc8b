// The ProjectionStore port's contract, run against every implementation
// (memory, RocksDB), and what only the on-disk store can show.

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>

#include "adapters/projections/memory_projection_store.h"
#include "adapters/projections/rocksdb_projection_store.h"
#include "tests/support/temp_dir.h"

namespace mledger {
namespace {

StatusOr<std::unique_ptr<RocksDbProjectionStore>> try_open(const std::string& path, bool read_only) {
  RocksDbProjectionStoreOptions o;
  o.path = path;
  o.read_only = read_only;
  return RocksDbProjectionStore::open(o);
}

std::unique_ptr<RocksDbProjectionStore> open_rocks(const std::string& path, bool read_only = false) {
  auto s = try_open(path, read_only);
  EXPECT_TRUE(s.ok()) << s.error().to_string();
  return s.ok() ? std::move(s.value()) : nullptr;
}

struct Impl {
  const char* name;
  std::function<std::unique_ptr<ProjectionStore>(const std::string& dir)> make;
};

class ProjectionStoreContract : public ::testing::TestWithParam<Impl> {
 protected:
  void SetUp() override { store_ = GetParam().make(dir_.sub("projections")); }
  Generation create(std::string_view name, GenerationRole role = GenerationRole::building) {
    auto g = store_->create_generation(name, 1, role);
    EXPECT_TRUE(g.ok()) << g.error().to_string();
    return g.ok() ? *g : Generation{};
  }
  std::optional<std::string> get(uint64_t gen, std::string_view key) {
    auto v = store_->get(gen, key);
    EXPECT_TRUE(v.ok()) << v.error().to_string();
    return v.ok() ? *v : std::nullopt;
  }
  testing::TempDir dir_;
  std::unique_ptr<ProjectionStore> store_;
};

ProjectionCheckpoint checkpoint(uint64_t seq) {
  ProjectionCheckpoint c{seq, {}};
  c.hash[0] = static_cast<uint8_t>(seq);
  c.hash[31] = 0xab;
  return c;
}

TEST_P(ProjectionStoreContract, a_new_generation_is_empty_at_checkpoint_zero) {
  Generation g = create("accounts");
  EXPECT_EQ(g.projection, "accounts");
  EXPECT_EQ(g.version, 1u);
  EXPECT_EQ(g.role, GenerationRole::building);
  EXPECT_EQ(g.checkpoint.seq, 0u);
  EXPECT_FALSE(get(g.id, "contoso"));
  auto all = store_->generations();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0], g);
  EXPECT_NE(create("orders").id, g.id);
}

TEST_P(ProjectionStoreContract, only_promotion_makes_a_generation_live) {
  auto g = store_->create_generation("accounts", 1, GenerationRole::live);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code(), StatusCode::invalid_argument);
}

TEST_P(ProjectionStoreContract, commit_writes_documents_and_checkpoints_together) {
  Generation a = create("accounts");
  Generation o = create("orders");
  std::vector<DocumentWrite> docs{{a.id, "contoso", "{\"a\":1}"}, {o.id, "contoso", "{\"o\":1}"},
                                  {a.id, "fabrikam", "{\"a\":2}"}};
  std::vector<CheckpointWrite> cps{{a.id, checkpoint(7)}, {o.id, checkpoint(7)}};
  ASSERT_TRUE(store_->commit(docs, cps).ok());
  EXPECT_EQ(get(a.id, "contoso"), "{\"a\":1}");
  EXPECT_EQ(get(o.id, "contoso"), "{\"o\":1}");
  auto all = store_->generations();
  ASSERT_TRUE(all.ok());
  for (const auto& g : *all) EXPECT_EQ(g.checkpoint, checkpoint(7));
  // Overwrite.
  std::vector<DocumentWrite> again{{a.id, "contoso", "{\"a\":3}"}};
  std::vector<CheckpointWrite> cp8{{a.id, checkpoint(8)}};
  ASSERT_TRUE(store_->commit(again, cp8).ok());
  EXPECT_EQ(get(a.id, "contoso"), "{\"a\":3}");
}

TEST_P(ProjectionStoreContract, a_commit_naming_an_unknown_generation_writes_nothing) {
  Generation a = create("accounts");
  std::vector<DocumentWrite> docs{{a.id, "contoso", "x"}, {a.id + 100, "contoso", "y"}};
  std::vector<CheckpointWrite> cps{{a.id, checkpoint(3)}};
  EXPECT_FALSE(store_->commit(docs, cps).ok());
  EXPECT_FALSE(get(a.id, "contoso"));
  EXPECT_EQ((*store_->generations())[0].checkpoint.seq, 0u);
}

TEST_P(ProjectionStoreContract, scan_is_in_key_order_from_a_key_and_stops_when_asked) {
  Generation a = create("accounts");
  std::vector<DocumentWrite> docs{{a.id, "c", "3"}, {a.id, "a", "1"}, {a.id, "b", "2"}, {a.id, "d", "4"}};
  ASSERT_TRUE(store_->commit(docs, {}).ok());
  std::string seen;
  ASSERT_TRUE(store_->scan(a.id, "b", [&](std::string_view k, std::string_view v) {
                      seen += std::string(k) + "=" + std::string(v) + ";";
                      return k != "c";
                    }).ok());
  EXPECT_EQ(seen, "b=2;c=3;");
}

TEST_P(ProjectionStoreContract, promote_replaces_the_live_generation_of_that_projection_only) {
  Generation old_accounts = create("accounts");
  Generation orders = create("orders");
  ASSERT_TRUE(store_->promote(old_accounts.id).ok());
  ASSERT_TRUE(store_->promote(orders.id).ok());
  Generation next = create("accounts");
  std::vector<DocumentWrite> docs{{next.id, "contoso", "new"}};
  ASSERT_TRUE(store_->commit(docs, {}).ok());
  ASSERT_TRUE(store_->promote(next.id).ok());
  auto all = store_->generations();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  for (const auto& g : *all) {
    EXPECT_EQ(g.role, GenerationRole::live);
    EXPECT_TRUE(g.id == next.id || g.id == orders.id);
  }
  EXPECT_FALSE(store_->get(old_accounts.id, "contoso").ok());  // dropped
  EXPECT_EQ(get(next.id, "contoso"), "new");
}

TEST_P(ProjectionStoreContract, drop_removes_the_generation_and_its_documents) {
  Generation g = create("accounts", GenerationRole::scratch);
  std::vector<DocumentWrite> docs{{g.id, "contoso", "x"}};
  ASSERT_TRUE(store_->commit(docs, {}).ok());
  ASSERT_TRUE(store_->drop(g.id).ok());
  auto gens = store_->generations();
  EXPECT_TRUE(gens->empty());
  EXPECT_EQ(store_->get(g.id, "contoso").error().code(), StatusCode::not_found);
  EXPECT_EQ(store_->drop(g.id).code(), StatusCode::not_found);
}

TEST_P(ProjectionStoreContract, size_grows_with_documents) {
  Generation g = create("accounts");
  const uint64_t empty = *store_->size_bytes(g.id);
  std::vector<DocumentWrite> docs;
  for (int i = 0; i < 100; ++i) docs.push_back({g.id, "account-" + std::to_string(i), std::string(200, 'x')});
  ASSERT_TRUE(store_->commit(docs, {}).ok());
  EXPECT_GT(*store_->size_bytes(g.id), empty + 100 * 200 / 4);  // compressed on disk, whole in memory
}

TEST_P(ProjectionStoreContract, a_bulk_load_shows_its_documents_and_progress_only_once_finished) {
  Generation g = create("accounts");
  std::vector<DocumentWrite> earlier{{g.id, "b", "old"}};
  ASSERT_TRUE(store_->commit(earlier, {}).ok());
  auto load = store_->bulk_load(g.id);
  ASSERT_TRUE(load.ok()) << load.error().to_string();
  ASSERT_TRUE((*load)->add("a", "1").ok());
  ASSERT_TRUE((*load)->add("b", "2").ok());
  EXPECT_FALSE(get(g.id, "a")) << "nothing is visible before finish()";
  const BulkProgress progress{checkpoint(9), kAccountPartitions / 4};
  ASSERT_TRUE((*load)->finish(progress).ok());
  EXPECT_EQ(get(g.id, "a"), "1");
  EXPECT_EQ(get(g.id, "b"), "2") << "a loaded document replaces the stored one";
  auto all = store_->generations();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].bulk, progress);
  EXPECT_EQ((*all)[0].checkpoint.seq, 0u);
  // A checkpoint ends the bulk load.
  std::vector<CheckpointWrite> cps{{g.id, checkpoint(9)}};
  ASSERT_TRUE(store_->commit({}, cps).ok());
  EXPECT_FALSE((*store_->generations())[0].bulk);
}

TEST_P(ProjectionStoreContract, a_bulk_load_refuses_keys_out_of_order_and_an_abandoned_one_loads_nothing) {
  Generation g = create("accounts");
  {
    auto load = store_->bulk_load(g.id);
    ASSERT_TRUE(load.ok());
    ASSERT_TRUE((*load)->add("b", "1").ok());
    Status s = (*load)->add("a", "2");
    EXPECT_EQ(s.code(), StatusCode::invalid_argument);
    EXPECT_EQ((*load)->add("b", "3").code(), StatusCode::invalid_argument) << "a repeated key";
  }  // abandoned
  EXPECT_FALSE(get(g.id, "b"));
  EXPECT_FALSE((*store_->generations())[0].bulk);
  EXPECT_EQ(store_->bulk_load(g.id + 100).error().code(), StatusCode::not_found);
  ASSERT_TRUE(store_->promote(g.id).ok());
  EXPECT_EQ(store_->bulk_load(g.id).error().code(), StatusCode::invalid_argument) << "a live generation";
}

INSTANTIATE_TEST_SUITE_P(
    All, ProjectionStoreContract,
    ::testing::Values(Impl{"memory", [](const std::string&) -> std::unique_ptr<ProjectionStore> {
                             return std::make_unique<MemoryProjectionStore>();
                           }},
                      Impl{"rocksdb", [](const std::string& dir) -> std::unique_ptr<ProjectionStore> {
                             return open_rocks(dir);
                           }}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(RocksDbProjectionStore, generations_documents_and_checkpoints_survive_reopen) {
  testing::TempDir dir;
  Generation g;
  {
    auto store = open_rocks(dir.path());
    g = *store->create_generation("accounts", 3, GenerationRole::building);
    std::vector<DocumentWrite> docs{{g.id, "contoso", "doc"}};
    std::vector<CheckpointWrite> cps{{g.id, checkpoint(42)}};
    ASSERT_TRUE(store->commit(docs, cps).ok());
    ASSERT_TRUE(store->promote(g.id).ok());
  }
  auto store = open_rocks(dir.path());
  auto all = store->generations();
  ASSERT_EQ(all->size(), 1u);
  g.role = GenerationRole::live;
  g.checkpoint = checkpoint(42);
  EXPECT_EQ((*all)[0], g);
  EXPECT_EQ(**store->get(g.id, "contoso"), "doc");
  // Ids are never reused.
  EXPECT_GT(store->create_generation("accounts", 3, GenerationRole::building)->id, g.id);
}

// A bulk load's file, written but not ingested when the process died, is
// removed on the next open; the progress of a finished one survives it.
TEST(RocksDbProjectionStore, bulk_progress_survives_reopen_and_unfinished_load_files_are_removed) {
  testing::TempDir dir;
  Generation g;
  const BulkProgress progress{checkpoint(5), kAccountPartitions / 2};
  {
    auto store = open_rocks(dir.path());
    g = *store->create_generation("accounts", 1, GenerationRole::building);
    auto done = store->bulk_load(g.id);
    ASSERT_TRUE((*done)->add("a", "1").ok());
    ASSERT_TRUE((*done)->finish(progress).ok());
    auto unfinished = store->bulk_load(g.id);
    ASSERT_TRUE((*unfinished)->add("z", "2").ok());
    // A crash here leaves its file behind: copied before the load is abandoned.
    for (const auto& f : std::filesystem::directory_iterator(std::filesystem::path(dir.path()) / "bulk-load")) {
      std::filesystem::copy_file(f.path(), f.path().string() + ".left");
    }
  }
  EXPECT_FALSE(std::filesystem::is_empty(std::filesystem::path(dir.path()) / "bulk-load"));
  auto store = open_rocks(dir.path());
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir.path()) / "bulk-load"));
  auto all = store->generations();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].bulk, progress);
  EXPECT_EQ(**store->get(g.id, "a"), "1");
  EXPECT_FALSE(store->get(g.id, "z")->has_value());
}

TEST(RocksDbProjectionStore, an_interrupted_verify_leaves_no_scratch_generation_after_reopen) {
  testing::TempDir dir;
  {
    auto store = open_rocks(dir.path());
    auto g = store->create_generation("accounts", 1, GenerationRole::scratch);
    ASSERT_TRUE(g.ok());
    std::vector<DocumentWrite> docs{{g->id, "contoso", "doc"}};
    ASSERT_TRUE(store->commit(docs, {}).ok());
  }
  auto store = open_rocks(dir.path());
  EXPECT_TRUE(store->generations()->empty());
}

TEST(RocksDbProjectionStore, one_writer_at_a_time_and_readers_beside_it) {
  testing::TempDir dir;
  auto writer = open_rocks(dir.path());
  auto g = *writer->create_generation("accounts", 1, GenerationRole::building);
  std::vector<DocumentWrite> docs{{g.id, "contoso", "doc"}};
  ASSERT_TRUE(writer->commit(docs, {}).ok());
  auto second = try_open(dir.path(), false);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), StatusCode::unavailable);
  EXPECT_NE(second.error().message().find("in use by another"), std::string::npos);
  auto reader = open_rocks(dir.path(), true);
  ASSERT_TRUE(reader);
  EXPECT_EQ(**reader->get(g.id, "contoso"), "doc");
  EXPECT_FALSE(reader->commit(docs, {}).ok());
  EXPECT_FALSE(reader->create_generation("orders", 1, GenerationRole::building).ok());
}

TEST(RocksDbProjectionStore, read_only_without_a_store_is_not_found) {
  testing::TempDir dir;
  auto s = try_open(dir.sub("nothing"), true);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), StatusCode::not_found);
}

}  // namespace
}  // namespace mledger
