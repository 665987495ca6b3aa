// The index math of the wgmma GEMM (kernels/include/gpuprobe/kernels/detail/wgmma_layout.hpp) on
// its own: the 128-byte swizzle against the PTX ISA's definition written out independently, the
// descriptor bit fields, and that every mapping the kernel uses (loads, accumulators, staging,
// stores) covers its range exactly once and, where it matters for speed, without shared-memory
// bank conflicts. The kernel's whole source runs under tests/emu (emulated wgmma reading through
// these descriptors); what neither can show is the inline asm on a GPU and the speed.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

#include "gpuprobe/kernels/detail/wgmma_layout.hpp"

namespace gpuprobe::kernels {
namespace {

// PTX ISA, "Shared Memory Matrix Layout", 128-byte swizzle: within each 1024-byte repeat, the
// 16-byte unit index (address bits 4-6) is XORed with the 128-byte row index (bits 7-9).
std::uint32_t swizzle128(std::uint32_t byte_addr) { return byte_addr ^ (((byte_addr >> 7) & 7u) << 4); }

TEST(WgmmaLayout, SwizzleIsThePtx128ByteSwizzleOfTheRowMajorTile) {
  for (int row = 0; row < wg::kBlockN; ++row)
    for (int chunk = 0; chunk < wg::kChunksPerRow; ++chunk)
      ASSERT_EQ(static_cast<std::uint32_t>(wg::smem_offset(row, chunk)),
                swizzle128(static_cast<std::uint32_t>(row * wg::kRowBytes + chunk * 16)))
          << "row " << row << " chunk " << chunk;
}

TEST(WgmmaLayout, EachRowKeepsItsOwn128BytesAndTheTileIsABijection) {
  std::set<int> seen;
  for (int row = 0; row < wg::kBlockN; ++row)
    for (int chunk = 0; chunk < wg::kChunksPerRow; ++chunk) {
      const int off = wg::smem_offset(row, chunk);
      EXPECT_EQ(off / wg::kRowBytes, row);
      EXPECT_EQ(off % 16, 0);
      EXPECT_TRUE(seen.insert(off).second) << "offset " << off << " used twice";
    }
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(wg::kBlockN * wg::kChunksPerRow));
}

TEST(WgmmaLayout, LoadsCoverEveryChunkOnceAndEachRowComesFromEightNeighbourThreads) {
  for (int loads : {wg::kALoads, wg::kBLoads}) {
    const int rows = loads * wg::kThreads / wg::kChunksPerRow;
    std::vector<int> count(static_cast<std::size_t>(rows) * wg::kChunksPerRow, 0);
    for (int tid = 0; tid < wg::kThreads; ++tid)
      for (int i = 0; i < loads; ++i) {
        const int r = wg::load_row(tid, i), c = wg::load_chunk(tid, i);
        ASSERT_LT(r, rows);
        ++count[static_cast<std::size_t>(r) * wg::kChunksPerRow + c];
      }
    for (int x : count) EXPECT_EQ(x, 1);
  }
  // One load instruction of a warp: 4 rows x 8 chunks; the 8 lanes of a row write 8 different
  // 16-byte bank groups (a conflict-free 128-byte phase each).
  for (int i = 0; i < wg::kBLoads; ++i)
    for (int lane0 = 0; lane0 < 32; lane0 += 8) {
      std::set<int> groups;
      for (int l = lane0; l < lane0 + 8; ++l)
        groups.insert((wg::smem_offset(wg::load_row(l, i), wg::load_chunk(l, i)) % 128) / 16);
      EXPECT_EQ(groups.size(), 8u);
    }
}

TEST(WgmmaLayout, DescriptorFieldsFollowThePtxMatrixDescriptorFormat) {
  const std::uint32_t addr = 0x1C400u + 3u * 32u;  // an atom-aligned stage plus k16 step 3
  const std::uint64_t d = wg::make_desc(addr);
  EXPECT_EQ(d & 0x3FFFu, (addr & 0x3FFFFu) >> 4);        // start address >> 4, bits 0-13
  EXPECT_EQ((d >> 16) & 0x3FFFu, 1u);                    // leading byte offset (unused), bits 16-29
  EXPECT_EQ((d >> 32) & 0x3FFFu, 1024u >> 4);            // stride byte offset: 8 rows of 128 B
  EXPECT_EQ((d >> 49) & 0x7u, 0u);                       // base offset
  EXPECT_EQ(d >> 62, 1u);                                // swizzle mode 1: 128-byte
  EXPECT_EQ(d & ((0x3ull << 14) | (0x3ull << 30) | (0x7ull << 46) | (0x3FFull << 52)), 0u) << "reserved bits";
  // Operand addresses: warpgroup 1's A rows start 64 rows (8 KiB, an atom boundary) in; B after A.
  EXPECT_EQ(wg::a_operand(0x8000u, 0, 0), 0x8000u);
  EXPECT_EQ(wg::a_operand(0x8000u, 1, 0), 0x8000u + 64u * 128u);
  EXPECT_EQ(wg::a_operand(0x8000u, 1, 2), 0x8000u + 64u * 128u + 64u);
  EXPECT_EQ(wg::b_operand(0x8000u, 3), 0x8000u + 16384u + 96u);
  EXPECT_EQ((0x8000u + 64u * 128u) % wg::kAtomBytes, 0u);
}

TEST(WgmmaLayout, AccumulatorsCoverTheBlockTileOnce) {
  std::vector<int> count(static_cast<std::size_t>(wg::kBlockM) * wg::kBlockN, 0);
  for (int tid = 0; tid < wg::kThreads; ++tid)
    for (int i = 0; i < wg::kAccRegs; ++i) {
      const int row = wg::acc_row(tid >> 7, tid & 127, i), col = wg::acc_col(tid & 127, i);
      ASSERT_TRUE(row >= 0 && row < wg::kBlockM && col >= 0 && col < wg::kBlockN);
      ++count[static_cast<std::size_t>(row) * wg::kBlockN + col];
    }
  for (int x : count) ASSERT_EQ(x, 1);
  // Warpgroup 1 holds rows 64..127; within a warpgroup warp w holds rows 16w..16w+15.
  EXPECT_EQ(wg::acc_row(1, 0, 0), 64);
  EXPECT_EQ(wg::acc_row(0, 32 * 3 + 31, 3), 16 * 3 + 7 + 8);
  EXPECT_EQ(wg::acc_col(31, 127), 8 * 31 + 2 * 3 + 1);
}

TEST(WgmmaLayout, StagingHoldsTheTileInsideTheStagesWithoutBankConflicts) {
  std::set<int> seen;
  for (int row = 0; row < wg::kBlockM; ++row)
    for (int col = 0; col < wg::kBlockN; ++col) {
      const int off = wg::staging_offset(row, col);
      ASSERT_LT(off * 2 + 2, wg::kStagingBytes + 1);
      ASSERT_TRUE(seen.insert(off).second);
    }
  // One accumulator store instruction of a warp (fixed i): 32 two-byte stores into 16 words, each
  // in its own bank (two lanes share each word).
  for (int warp = 0; warp < wg::kThreads / 32; ++warp)
    for (int i = 0; i < wg::kAccRegs; ++i) {
      std::set<int> words, banks;
      for (int l = 0; l < 32; ++l) {
        const int t = (warp * 32 + l) & 127;
        const int word = wg::staging_offset(wg::acc_row(warp / 4, t, i), wg::acc_col(t, i)) / 2;
        words.insert(word);
        banks.insert(word % 32);
      }
      ASSERT_EQ(words.size(), banks.size()) << "warp " << warp << " register " << i;
    }
}

TEST(WgmmaLayout, StoresCoverEveryColumnChunkOnceFromAlignedStagingAddresses) {
  std::vector<int> count(static_cast<std::size_t>(wg::kBlockN) * wg::kCChunksPerCol, 0);
  for (int tid = 0; tid < wg::kThreads; ++tid)
    for (int i = 0; i < wg::kCStores; ++i) {
      const int col = wg::store_col(tid, i), chunk = wg::store_chunk(tid, i);
      ASSERT_LT(col, wg::kBlockN);
      EXPECT_EQ(wg::staging_offset(chunk * wg::kChunkElems, col) * 2 % 16, 0) << "uint4 read must be aligned";
      ++count[static_cast<std::size_t>(col) * wg::kCChunksPerCol + chunk];
    }
  for (int x : count) EXPECT_EQ(x, 1);
  // 16 consecutive threads write one whole column: 256 contiguous bytes of C.
  for (int l = 0; l < 16; ++l) {
    EXPECT_EQ(wg::store_col(l, 0), 0);
    EXPECT_EQ(wg::store_chunk(l, 0), l);
  }
}

TEST(WgmmaLayout, SharedMemoryFitsComputeCapability90) {
  EXPECT_LE(wg::kSmemBytes, 227 * 1024);  // cudaDevAttrMaxSharedMemoryPerBlockOptin on H100/H200
  EXPECT_EQ(wg::kStageBytes % wg::kAtomBytes, 0);
}

}  // namespace
}  // namespace gpuprobe::kernels
