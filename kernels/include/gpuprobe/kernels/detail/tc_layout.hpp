// Index math of the tensor-core GEMM (kernels/src/matmul_tensorcore.cu), kept apart from the device
// code so that a CPU unit test (tests/unit/test_tc_layout.cpp) can emulate the kernel's data flow
// through exactly these functions: the shared-memory swizzle, which addresses each lane hands to
// ldmatrix, and which element of C each accumulator register holds. Host-compilable without CUDA
// headers; every function is GPUPROBE_HD (host + device when compiled by nvcc).
//
// ---- The tile hierarchy ------------------------------------------------------------------------
//   grid   : one block per 128 x 128 tile of C (kBlockM x kBlockN); the 1-D block index is mapped
//            to (tile_m, tile_n) in groups of kGroupM tile rows (block_tile) so that blocks running
//            at the same time share rows of A and columns of B in L2.
//   block  : 4 warps (128 threads) as a 2 x 2 grid of 64 x 64 warp tiles. The K dimension is walked
//            in steps of kBlockK = 32; each step's A tile (128 rows of m, 32 of k) and B tile
//            (128 rows of n, 32 of k) sit in one of kStages = 4 shared-memory stages, filled
//            kStages - 1 steps ahead with cp.async.
//   warp   : 64 x 64 of C = 4 (m16) x 8 (n8) mma.sync.m16n8k16 tiles, 4 fp32 accumulators each per
//            lane (128 registers); a 32-deep K step is two k16 steps (kKSteps).
//
// ---- Shared-memory layout and why the swizzle ----------------------------------------------------
// Both operands are K-major in global memory (A[p + i*k], B[p + j*k]), and both are stored the same
// way in shared memory: one "row" per m (for A) or n (for B) index, 32 k-values = 64 bytes = four
// 16-byte chunks per row. A 16-byte chunk is the unit of cp.async and of one ldmatrix row address.
// Shared memory has 32 banks of 4 bytes, i.e. 8 "bank groups" of 16 bytes; a 128-byte line covers
// each group once. ldmatrix reads an 8 x 8 matrix as 8 row addresses of 16 bytes each (one phase);
// the phase is conflict-free only if the 8 chunks fall in 8 different bank groups. Unswizzled,
// rows r and r + 2 at the same chunk land in the same bank group (64-byte rows: two rows per
// 128-byte line), so reading chunk c of 8 consecutive rows would be a 4-way conflict. The swizzle
// stores logical chunk c of row r at physical chunk c ^ ((r >> 1) & 3): rows 2q and 2q + 1 share a
// line (halves 0 and 1), and the XOR with q & 3 sends the four row pairs of an 8-row group to four
// different chunk positions within their halves, so the 8 rows of a phase hit 8 distinct groups.
// The XOR only permutes chunks within a row, so every row keeps its own 64 bytes (a bijection).
//
// ---- Fragment layouts (PTX ISA, mma.m16n8k16 with .f16/.bf16 inputs) ------------------------------
//   g = lane / 4 (groupID), t = lane % 4 (threadID_in_group); a register holds two 16-bit values,
//   the lower-indexed element in the low half.
//   A (16 x 16, row-major "row"): a0,a1 (row g, k 2t..2t+1), a2,a3 (row g+8, k 2t..), a4,a5 (row g,
//     k 2t+8..), a6,a7 (row g+8, k 2t+8..). So register q of A is the 8 x 8 block
//     (rows 8*(q&1).., k 8*(q>>1)..).
//   B (16 x 8, "col": stored per column n with k contiguous, which is our K-major B): b0,b1 (k 2t..,
//     col g), b2,b3 (k 2t+8.., col g). Register q of B is the 8 x 8 block (n 0..7, k 8*q..).
//   C/D (16 x 8, fp32): c0,c1 (row g, col 2t..2t+1), c2,c3 (row g+8, col 2t..).
//   ldmatrix.x4 (no .trans): lane l gives the row address of matrix l/8, row l%8; lane l receives
//     (row l/4, cols 2*(l%4), 2*(l%4)+1) of matrix q in register q - exactly the layout above for an
//     8 x 8 block whose rows are the A rows (m) or the B columns (n) with k along the row.
#pragma once

#include "gpuprobe/kernels/random.hpp"  // GPUPROBE_HD

namespace gpuprobe::kernels::tc {

inline constexpr int kBlockM = 128;  // rows of C (m) per block
inline constexpr int kBlockN = 128;  // columns of C (n) per block
inline constexpr int kBlockK = 32;   // k per pipeline stage
inline constexpr int kStages = 4;    // shared-memory ring of K steps (kStages - 1 loads in flight)
inline constexpr int kWarpsM = 2, kWarpsN = 2;
inline constexpr int kWarps = kWarpsM * kWarpsN;
inline constexpr int kThreads = 32 * kWarps;
inline constexpr int kWarpM = kBlockM / kWarpsM;  // 64
inline constexpr int kWarpN = kBlockN / kWarpsN;  // 64
inline constexpr int kMmaM = 16, kMmaN = 8, kMmaK = 16;
inline constexpr int kFragsM = kWarpM / kMmaM;    // 4 m16 tiles per warp
inline constexpr int kFragsN = kWarpN / kMmaN;    // 8 n8 tiles per warp
inline constexpr int kLdsmB = kFragsN / 2;        // ldmatrix.x4 per k16 step for B (2 n8 tiles each)
inline constexpr int kKSteps = kBlockK / kMmaK;   // 2 k16 steps per stage
inline constexpr int kChunkElems = 8;             // 16 bytes of 2-byte elements
inline constexpr int kChunksPerRow = kBlockK / kChunkElems;  // 4
inline constexpr int kTileRows = kBlockM;                    // A and B tiles have the same shape
inline constexpr int kTileElems = kTileRows * kBlockK;       // one operand, one stage
inline constexpr int kTileBytes = kTileElems * 2;            // 8 KiB
inline constexpr int kStageBytes = 2 * kTileBytes;           // A tile then B tile: 16 KiB
inline constexpr int kSmemBytes = kStages * kStageBytes;     // 64 KiB (dynamic, opt-in above 48 KiB)
inline constexpr int kLoadsPerThread = kTileRows * kChunksPerRow / kThreads;  // 16-byte chunks: 4
inline constexpr int kGroupM = 8;  // tile rows per rasterization group

static_assert(kBlockM == kBlockN, "one loader serves both operand tiles");
static_assert(kChunksPerRow == 4, "the swizzle below is written for 64-byte rows");
static_assert(kTileRows * kChunksPerRow % kThreads == 0, "every thread loads the same number of chunks");
static_assert(kTileBytes % 128 == 0, "stage bases stay 128-byte aligned, so bank groups are relative");
static_assert(kFragsN % 2 == 0 && kWarpM % kMmaM == 0 && kBlockK % kMmaK == 0, "tile shapes");

GPUPROBE_HD int ceil_div(int a, int b) { return (a - 1) / b + 1; }  // a >= 1: no overflow near INT_MAX

// Element offset (2-byte units) of logical 16-byte chunk `chunk` (k = 8*chunk..8*chunk+7) of tile
// row `row` within one operand tile of one stage.
GPUPROBE_HD int smem_offset(int row, int chunk) {
  return row * kBlockK + ((chunk ^ ((row >> 1) & 3)) * kChunkElems);
}

// Global -> shared copy: load i (0 <= i < kLoadsPerThread) of thread tid moves chunk load_chunk of
// tile row load_row. Four consecutive threads take the four chunks of one row (64 contiguous
// bytes of global memory); a warp covers 8 rows per load.
GPUPROBE_HD int load_row(int tid, int i) { return (tid + i * kThreads) / kChunksPerRow; }
GPUPROBE_HD int load_chunk(int tid, int i) { return (tid + i * kThreads) % kChunksPerRow; }

// The shared tile loader's view of this layout (kernels/src/tc_tile_load.cuh): byte offsets.
struct LoadLayout {
  static constexpr int kChunkElems = tc::kChunkElems;
  static GPUPROBE_HD int load_row(int tid, int i) { return tc::load_row(tid, i); }
  static GPUPROBE_HD int load_chunk(int tid, int i) { return tc::load_chunk(tid, i); }
  static GPUPROBE_HD std::uint32_t byte_offset(int row, int chunk) {
    return static_cast<std::uint32_t>(smem_offset(row, chunk)) * 2u;
  }
};

// Warp position in the 2 x 2 warp grid of the block.
GPUPROBE_HD int warp_m_index(int warp) { return warp % kWarpsM; }
GPUPROBE_HD int warp_n_index(int warp) { return warp / kWarpsM; }

// ldmatrix.x4 for A fragment mi (m16 tile) of k16 step ks: lane l addresses matrix q = l/8, row l%8;
// matrix q is (rows 8*(q&1).., k 8*(q>>1)..) of the 16 x 16 A tile, so lane l's row is l & 15 and
// its chunk is 2*ks + (l >> 4). Registers 0..3 come back as the A fragment registers 0..3.
GPUPROBE_HD int a_ldsm_offset(int warp_m, int lane, int ks, int mi) {
  const int row = warp_m * kWarpM + mi * kMmaM + (lane & 15);
  const int chunk = ks * 2 + (lane >> 4);
  return smem_offset(row, chunk);
}

// ldmatrix.x4 for B, n8 tiles 2*nj and 2*nj+1 of k16 step ks: matrix q is (n 8*(q>>1).., k 8*(q&1)..),
// so lane l's row (an n index) is 8*(l >> 4) + (l & 7) and its chunk 2*ks + ((l >> 3) & 1).
// Register q comes back as register b_ldsm_reg(q) of the B fragment of n8 tile b_ldsm_ntile(nj, q).
GPUPROBE_HD int b_ldsm_offset(int warp_n, int lane, int ks, int nj) {
  const int row = warp_n * kWarpN + nj * 2 * kMmaN + ((lane >> 4) << 3) + (lane & 7);
  const int chunk = ks * 2 + ((lane >> 3) & 1);
  return smem_offset(row, chunk);
}
GPUPROBE_HD int b_ldsm_ntile(int nj, int q) { return 2 * nj + (q >> 1); }
GPUPROBE_HD int b_ldsm_reg(int q) { return q & 1; }

// Accumulator register i (0..3) of lane `lane` in mma tile (mi, ni) of warp (warp_m, warp_n) holds
// C element (acc_row, acc_col) of the block tile (add m0, n0 for the global index).
GPUPROBE_HD int acc_row(int warp_m, int mi, int lane, int i) {
  return warp_m * kWarpM + mi * kMmaM + (lane >> 2) + 8 * (i >> 1);
}
GPUPROBE_HD int acc_col(int warp_n, int ni, int lane, int i) {
  return warp_n * kWarpN + ni * kMmaN + 2 * (lane & 3) + (i & 1);
}

// Block index -> C tile. Consecutive blocks walk down a group of kGroupM tile rows, then move one
// tile column to the right; groups are stacked downward. A bijection from [0, tiles_m * tiles_n)
// onto the tiles (the last group may be shorter).
struct TileCoord {
  int m, n;
};
GPUPROBE_HD TileCoord block_tile(int pid, int tiles_m, int tiles_n) {
  const int per_group = kGroupM * tiles_n;
  const int group = pid / per_group;
  const int first_m = group * kGroupM;
  const int rows = tiles_m - first_m < kGroupM ? tiles_m - first_m : kGroupM;
  const int local = pid - group * per_group;
  return TileCoord{first_m + local % rows, local / rows};
}

// Where block `pid` of a GEMM kernel with block_m x block_n tiles of an m x n C works (through
// block_tile; the wgmma kernel's 128 x 256 tiles use it too): its tile's first row m0 and column
// n0, and how many of the tile's rows and columns exist (m0 < m and n0 < n: no overflow).
struct BlockPlace {
  int m0, n0, rows, cols;
};
GPUPROBE_HD BlockPlace place_block(int pid, int m, int n, int block_m, int block_n) {
  const TileCoord t = block_tile(pid, ceil_div(m, block_m), ceil_div(n, block_n));
  const int m0 = t.m * block_m, n0 = t.n * block_n;
  return BlockPlace{m0, n0, m - m0, n - n0};
}

}  // namespace gpuprobe::kernels::tc
