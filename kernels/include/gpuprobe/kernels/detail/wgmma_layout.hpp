// Index math of the Hopper wgmma GEMM (kernels/src/matmul_wgmma.cu), kept apart from the device
// code so that a CPU unit test (tests/unit/test_wgmma_layout.cpp) can check it: the shared-memory
// layout wgmma's 128-byte swizzle mode expects, the matrix descriptors that point wgmma at it,
// which element of C each accumulator register holds, and the staging of C for the epilogue.
// Host-compilable without CUDA headers; every function is GPUPROBE_HD.
//
// ---- The tile hierarchy ------------------------------------------------------------------------
//   grid      : one block per 128 x 256 tile of C (kBlockM x kBlockN), the 1-D block index mapped to
//               (tile_m, tile_n) by tc::place_block (groups of 8 tile rows share B columns in L2).
//   block     : 256 threads = 2 warpgroups (4 consecutive warps each). Warpgroup g computes rows
//               64g .. 64g+63 of the block tile, all 256 columns: one wgmma.m64n256k16 per k16
//               step, 128 fp32 accumulators per thread. All 256 threads also load.
//   K         : steps of kBlockK = 64 (one 128-byte row of 2-byte elements per m or n index), in a
//               ring of kStages = 4 shared-memory stages. Loads run kStages - 2 = 2 steps ahead,
//               and one wgmma batch (the 4 k16 products of a step) stays in flight while the next
//               step's loads are issued: the stage being overwritten is never one a pending batch
//               reads (matmul_wgmma.cu walks through the counting).
//
// ---- Shared-memory layout: wgmma's 128-byte swizzle, K-major ------------------------------------
// Both operands are K-major in global memory (A[p + i*k], B[p + j*k]) and wgmma reads them K-major
// (no transpose). An operand tile is stored one 128-byte row per m (A) or n (B) index, 64 k-values
// per row; 8 consecutive rows form a 1024-byte swizzle atom (the pattern repeats every 1024 bytes,
// so every tile starts 1024-byte aligned). Within an atom, the 16-byte chunk c (k = 8c .. 8c+7) of
// row r sits at chunk position c ^ r: the 128-byte swizzle of the PTX ISA (CuTe's Swizzle<3,4,3>:
// byte-address bits 4-6 XOR bits 7-9). It is what wgmma's swizzle mode 1 undoes when it reads, and
// it keeps both our 16-byte cp.async writes and wgmma's reads free of bank conflicts.
//
// ---- Matrix descriptors (PTX ISA, wgmma "Matrix Descriptor Format") -----------------------------
//   bits  0-13: start address >> 4       bits 16-29: leading-dimension byte offset >> 4
//   bits 32-45: stride-dimension byte offset >> 4   bits 49-51: base offset   bits 62-63: swizzle
// For a K-major operand with 128-byte swizzle the 16 k of one k16 step lie inside one 128-byte row,
// so the leading-dimension offset is not used (set to 1, as CUTLASS does); the stride-dimension
// offset is the distance between consecutive 8-row groups: 1024 bytes. The base offset is 0
// because every atom is 1024-byte aligned. k16 step s of a stage starts s * 32 bytes into the
// rows: the swizzle is applied by wgmma to the computed addresses, so advancing the start address
// inside the (unswizzled) row is how CUTLASS and DeepGEMM walk K too.
//
// ---- Accumulators (PTX ISA, wgmma .m64nNk16 D fragment, fp32) ----------------------------------
// Thread t (0..127) of a warpgroup, w = t / 32, l = t % 32, holds in d[i] (i = 0..127) the element
//   row = 16w + l/4 + 8*((i/2) % 2),  col = 8*(i/4) + 2*(l%4) + i%2
// of the warpgroup's 64 x 256 result: the mma.m16n8 C layout repeated over 32 n8 tiles.
//
// ---- Epilogue: C through shared memory ----------------------------------------------------------
// C is column-major, so a thread's accumulators (two adjacent columns of one row) would make 2-byte
// scattered stores. Instead each thread writes its values, rounded to T, into a column-major
// staging tile (kStagePitch elements per column: 128 rows + 8 padding, so the 16 words a warp's
// store touches fall in 16 different banks), and then 16 threads copy each 256-byte column
// to global memory in 16-byte chunks (element-wise with bounds where C's rows are not 16-byte
// aligned or the tile is cut by m or n).
#pragma once

#include <cstdint>

#include "gpuprobe/kernels/detail/tc_layout.hpp"  // tc::ceil_div, tc::place_block
#include "gpuprobe/kernels/random.hpp"            // GPUPROBE_HD

namespace gpuprobe::kernels::wg {

inline constexpr int kBlockM = 128;   // rows of C (m) per block
inline constexpr int kBlockN = 256;   // columns of C (n) per block = wgmma N
inline constexpr int kBlockK = 64;    // k per stage: one 128-byte row
inline constexpr int kStages = 4;
inline constexpr int kWarpGroups = 2;
inline constexpr int kThreads = 128 * kWarpGroups;
inline constexpr int kWgM = 64;       // wgmma M
inline constexpr int kMmaK = 16;      // wgmma K for 16-bit inputs
inline constexpr int kKSteps = kBlockK / kMmaK;  // 4 wgmma per warpgroup per stage
inline constexpr int kAccRegs = kWgM * kBlockN / 128;  // 128 fp32 accumulators per thread
inline constexpr int kRowBytes = kBlockK * 2;          // 128
inline constexpr int kChunkElems = 8;                  // 16 bytes of 2-byte elements
inline constexpr int kChunksPerRow = kRowBytes / 16;   // 8
inline constexpr int kAtomBytes = 8 * kRowBytes;       // 1024: the swizzle pattern's period
inline constexpr int kATileBytes = kBlockM * kRowBytes;  // 16 KiB
inline constexpr int kBTileBytes = kBlockN * kRowBytes;  // 32 KiB
inline constexpr int kStageBytes = kATileBytes + kBTileBytes;  // 48 KiB: A tile then B tile
inline constexpr int kALoads = kBlockM * kChunksPerRow / kThreads;  // 16-byte chunks per thread: 4
inline constexpr int kBLoads = kBlockN * kChunksPerRow / kThreads;  // 8
inline constexpr int kStagePitch = kBlockM + 8;  // elements per column of the C staging tile
inline constexpr int kStagingBytes = kBlockN * kStagePitch * 2;  // 68 KiB, reuses the stages
inline constexpr int kCChunksPerCol = kBlockM / kChunkElems;     // 16
inline constexpr int kCStores = kBlockN * kCChunksPerCol / kThreads;  // 16 per thread
// Dynamic shared memory: the stages (the extern array is declared 1024-byte aligned).
inline constexpr int kSmemBytes = kStages * kStageBytes;  // 192 KiB (cc 9.0: 227 max)

static_assert(kBlockM == kWarpGroups * kWgM, "each warpgroup owns 64 rows");
static_assert(kATileBytes % kAtomBytes == 0 && kBTileBytes % kAtomBytes == 0, "tiles stay atom-aligned");
static_assert((kWgM * kRowBytes) % kAtomBytes == 0, "warpgroup 1's A rows start on an atom");
static_assert(kALoads * kThreads == kBlockM * kChunksPerRow && kBLoads * kThreads == kBlockN * kChunksPerRow,
              "every thread loads the same number of chunks");
static_assert(kStagingBytes <= kStages * kStageBytes, "the C staging tile fits in the stages");
static_assert((kStagePitch * 2) % 16 == 0, "staging columns start 16-byte aligned");
static_assert(kCStores * kThreads == kBlockN * kCChunksPerCol, "every thread stores the same number of chunks");

// Byte offset, within an operand tile of one stage, of logical 16-byte chunk `chunk` (k = 8*chunk ..
// 8*chunk+7 of the stage) of tile row `row` (an m or n index): the 128-byte swizzle.
GPUPROBE_HD int smem_offset(int row, int chunk) { return row * kRowBytes + ((chunk ^ (row & 7)) << 4); }

// Global -> shared copy: load i of thread tid moves chunk load_chunk of tile row load_row. Eight
// consecutive threads take the eight chunks of one row (128 contiguous bytes of global memory).
GPUPROBE_HD int load_row(int tid, int i) { return (tid + i * kThreads) / kChunksPerRow; }
GPUPROBE_HD int load_chunk(int tid, int i) { return (tid + i * kThreads) % kChunksPerRow; }

// The shared tile loader's view of this layout (kernels/src/tc_tile_load.cuh).
struct LoadLayout {
  static constexpr int kChunkElems = wg::kChunkElems;
  static GPUPROBE_HD int load_row(int tid, int i) { return wg::load_row(tid, i); }
  static GPUPROBE_HD int load_chunk(int tid, int i) { return wg::load_chunk(tid, i); }
  static GPUPROBE_HD std::uint32_t byte_offset(int row, int chunk) {
    return static_cast<std::uint32_t>(smem_offset(row, chunk));
  }
};

// The wgmma matrix descriptor of a K-major operand in the layout above, `addr` being the shared
// address of its first row at the k16 step wanted (tile base + 32 * step; atom-aligned base).
GPUPROBE_HD std::uint64_t make_desc(std::uint32_t addr) {
  constexpr std::uint64_t kLbo = 1;                  // unused by K-major swizzled layouts
  constexpr std::uint64_t kSbo = kAtomBytes >> 4;    // 8-row groups are 1024 bytes apart
  constexpr std::uint64_t kSwizzle128 = 1;           // swizzle mode 1: 128-byte
  return (static_cast<std::uint64_t>((addr & 0x3FFFFu) >> 4)) | (kLbo << 16) | (kSbo << 32) | (kSwizzle128 << 62);
}

// Shared addresses (before make_desc) of the A rows of warpgroup `wg` and of the B rows, for k16
// step `step` of the stage whose A tile starts at `stage_base`.
GPUPROBE_HD std::uint32_t a_operand(std::uint32_t stage_base, int wg, int step) {
  return stage_base + static_cast<std::uint32_t>(wg * kWgM * kRowBytes + step * kMmaK * 2);
}
GPUPROBE_HD std::uint32_t b_operand(std::uint32_t stage_base, int step) {
  return stage_base + static_cast<std::uint32_t>(kATileBytes + step * kMmaK * 2);
}

// Accumulator register i of thread t (0..127) of warpgroup wg holds C element (acc_row, acc_col)
// of the block tile.
GPUPROBE_HD int acc_row(int wg, int t, int i) { return wg * kWgM + 16 * (t >> 5) + ((t & 31) >> 2) + 8 * ((i >> 1) & 1); }
GPUPROBE_HD int acc_col(int t, int i) { return 8 * (i >> 2) + 2 * (t & 3) + (i & 1); }

// Element offset of (row, col) of the block tile in the C staging tile.
GPUPROBE_HD int staging_offset(int row, int col) { return col * kStagePitch + row; }

// Copy-out: store i of thread tid moves rows 8*chunk .. 8*chunk+7 of column store_col.
GPUPROBE_HD int store_col(int tid, int i) { return (tid + i * kThreads) / kCChunksPerCol; }
GPUPROBE_HD int store_chunk(int tid, int i) { return (tid + i * kThreads) % kCChunksPerCol; }

}  // namespace gpuprobe::kernels::wg
