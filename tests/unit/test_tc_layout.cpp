// The index math of the tensor-core GEMM (kernels/include/gpuprobe/kernels/detail/tc_layout.hpp),
// verified on the CPU. (The kernel's whole source also runs under tests/emu with emulated
// instructions; this file checks the header on its own, and what no run shows.) It emulates the
// kernel's data flow:
// cp.async chunks into a swizzled shared memory, ldmatrix into registers, mma.sync.m16n8k16 on those
// registers, accumulators out to C - with ldmatrix and mma modelled from the PTX ISA's fragment
// tables (written out below, independently of the header), and every address and index taken from
// the header functions the kernel uses. If the emulated product equals a direct CPU product, the
// kernel's addressing and fragment bookkeeping are right; the tests also check that the swizzle is
// a bijection and that cp.async stores and ldmatrix reads are free of shared-memory bank conflicts.
//
// What this does not cover: the PTX syntax and semantics of the real instructions beyond the ISA
// tables modelled here, the cp.async/barrier ordering on real hardware (the emulation is
// sequential), FP32 rounding inside the tensor cores, and performance.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "gpuprobe/kernels/detail/tc_layout.hpp"

namespace gpuprobe::kernels {
namespace {

namespace L = tc;

// ---- PTX ISA models ------------------------------------------------------------------------------

// A register of two 16-bit elements; [0] is the low half (lower column / k index).
struct Reg {
  float v[2] = {NAN, NAN};
};

// ldmatrix.sync.aligned.m8n8.x4.b16 (no .trans): lane l supplies the address of row l%8 of matrix
// l/8 (16 contiguous bytes); lane l receives elements (row l/4, cols 2*(l%4), 2*(l%4)+1) of matrix q
// in register q. `addr` are element offsets into `smem`.
void ldmatrix_x4(const std::vector<float>& smem, const int (&addr)[32], Reg (&out)[32][4]) {
  for (int l = 0; l < 32; ++l) {
    ASSERT_EQ(addr[l] % 8, 0) << "ldmatrix row address must be 16-byte aligned, lane " << l;
    ASSERT_GE(addr[l], 0);
    ASSERT_LE(addr[l] + 8, static_cast<int>(smem.size()));
  }
  for (int l = 0; l < 32; ++l)
    for (int q = 0; q < 4; ++q) {
      const int row_addr = addr[8 * q + l / 4];
      out[l][q].v[0] = smem[row_addr + 2 * (l % 4)];
      out[l][q].v[1] = smem[row_addr + 2 * (l % 4) + 1];
    }
}

// mma.sync.aligned.m16n8k16.row.col.f32.{bf16,f16}.{bf16,f16}.f32, d = a * b + d, per the ISA tables
// (g = lane >> 2, t = lane % 4):
//   a_i (i = 0..7, register i/2, half i%2): row g for i in {0,1,4,5}, else g+8; col 2t + (i&1) (+8 for i >= 4)
//   b_i (i = 0..3, register i/2, half i%2): row 2t + (i&1) (+8 for i >= 2); col g
//   c_i (i = 0..3): row g (+8 for i >= 2); col 2t + (i&1)
// The fragments are first reassembled into the 16x16 and 16x8 matrices (checking that every
// element is supplied exactly once), multiplied, and the product scattered back.
void mma_16816(const Reg (&a)[32][4], const Reg (&b)[32][2], float (&d)[32][4]) {
  double am[16][16], bm[16][8];
  int a_seen[16][16] = {}, b_seen[16][8] = {};
  for (int l = 0; l < 32; ++l) {
    const int g = l >> 2, t = l & 3;
    for (int i = 0; i < 8; ++i) {
      const int row = (i < 2 || (i >= 4 && i < 6)) ? g : g + 8;
      const int col = 2 * t + (i & 1) + (i >= 4 ? 8 : 0);
      am[row][col] = a[l][i / 2].v[i % 2];
      ++a_seen[row][col];
    }
    for (int i = 0; i < 4; ++i) {
      const int row = 2 * t + (i & 1) + (i >= 2 ? 8 : 0);
      bm[row][g] = b[l][i / 2].v[i % 2];
      ++b_seen[row][g];
    }
  }
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 16; ++c) ASSERT_EQ(a_seen[r][c], 1);
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 8; ++c) ASSERT_EQ(b_seen[r][c], 1);
  for (int l = 0; l < 32; ++l) {
    const int g = l >> 2, t = l & 3;
    for (int i = 0; i < 4; ++i) {
      const int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
      double s = 0;
      for (int p = 0; p < 16; ++p) s += am[row][p] * bm[p][col];
      d[l][i] += static_cast<float>(s);  // exact for the small integers used here
    }
  }
}

// ---- The kernel's warp-level k16 step, through the header functions --------------------------------

// acc[lane][mi][ni][i], as the kernel's `float acc[kFragsM][kFragsN][4]` in each lane.
struct WarpAcc {
  float v[32][L::kFragsM][L::kFragsN][4] = {};
};

// What the kernel does for one k16 step `ks` of warp (wm, wn): 4 ldmatrix.x4 for A, 4 for B (each
// giving two n8 tiles), 32 mma. a_tile / b_tile: element offsets of the stage's A and B tiles.
void warp_kstep(const std::vector<float>& smem, int a_tile, int b_tile, int wm, int wn, int ks, WarpAcc& acc) {
  Reg a[L::kFragsM][32][4];
  Reg b[L::kFragsN][32][2];
  for (int mi = 0; mi < L::kFragsM; ++mi) {
    int addr[32];
    for (int l = 0; l < 32; ++l) addr[l] = a_tile + L::a_ldsm_offset(wm, l, ks, mi);
    ldmatrix_x4(smem, addr, a[mi]);  // register q -> A fragment register q
  }
  for (int nj = 0; nj < L::kLdsmB; ++nj) {
    int addr[32];
    for (int l = 0; l < 32; ++l) addr[l] = b_tile + L::b_ldsm_offset(wn, l, ks, nj);
    Reg r[32][4];
    ldmatrix_x4(smem, addr, r);
    for (int l = 0; l < 32; ++l)
      for (int q = 0; q < 4; ++q) b[L::b_ldsm_ntile(nj, q)][l][L::b_ldsm_reg(q)] = r[l][q];
  }
  for (int mi = 0; mi < L::kFragsM; ++mi)
    for (int ni = 0; ni < L::kFragsN; ++ni) {
      float d[32][4];
      for (int l = 0; l < 32; ++l)
        for (int i = 0; i < 4; ++i) d[l][i] = acc.v[l][mi][ni][i];
      mma_16816(a[mi], b[ni], d);
      for (int l = 0; l < 32; ++l)
        for (int i = 0; i < 4; ++i) acc.v[l][mi][ni][i] = d[l][i];
    }
}

// Small random integers: every sum in the emulation is exact, so results compare with ==.
std::vector<float> random_ints(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(-8, 8);
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(dist(gen));
  return v;
}

int bank_group(int element_offset) { return (element_offset * 2 / 16) % 8; }  // 16-byte group of 4 banks

// ---- Swizzle and loader --------------------------------------------------------------------------

TEST(TcLayout, SwizzleIsABijectionThatKeepsEachRowInPlace) {
  std::vector<int> hits(L::kTileElems / L::kChunkElems, 0);
  for (int r = 0; r < L::kTileRows; ++r)
    for (int c = 0; c < L::kChunksPerRow; ++c) {
      const int off = L::smem_offset(r, c);
      ASSERT_EQ(off % L::kChunkElems, 0) << "chunks stay 16-byte aligned";
      ASSERT_GE(off, r * L::kBlockK);
      ASSERT_LT(off, (r + 1) * L::kBlockK) << "row " << r << " chunk " << c << " leaves its row";
      ++hits[off / L::kChunkElems];
    }
  for (std::size_t i = 0; i < hits.size(); ++i) EXPECT_EQ(hits[i], 1) << "physical chunk " << i;
}

TEST(TcLayout, LoaderCoversEveryChunkOnceAndItsStoresAreConflictFree) {
  std::vector<int> hits(L::kTileRows * L::kChunksPerRow, 0);
  for (int tid = 0; tid < L::kThreads; ++tid)
    for (int i = 0; i < L::kLoadsPerThread; ++i) {
      const int r = L::load_row(tid, i), c = L::load_chunk(tid, i);
      ASSERT_GE(r, 0);
      ASSERT_LT(r, L::kTileRows);
      ASSERT_GE(c, 0);
      ASSERT_LT(c, L::kChunksPerRow);
      ++hits[r * L::kChunksPerRow + c];
    }
  for (int h : hits) EXPECT_EQ(h, 1);
  // A warp's 16-byte stores are served 8 lanes (128 bytes) at a time: each 8 must hit 8 groups.
  // And 4 consecutive lanes read one row's 64 contiguous bytes of global memory.
  for (int warp = 0; warp < L::kWarps; ++warp)
    for (int i = 0; i < L::kLoadsPerThread; ++i) {
      for (int phase = 0; phase < 4; ++phase) {
        std::set<int> groups;
        for (int l = 8 * phase; l < 8 * phase + 8; ++l) {
          const int tid = 32 * warp + l;
          groups.insert(bank_group(L::smem_offset(L::load_row(tid, i), L::load_chunk(tid, i))));
        }
        EXPECT_EQ(groups.size(), 8u) << "warp " << warp << " load " << i << " phase " << phase;
      }
      for (int l = 0; l < 32; l += 4) {
        const int tid = 32 * warp + l;
        for (int j = 1; j < 4; ++j) {
          EXPECT_EQ(L::load_row(tid + j, i), L::load_row(tid, i));
          EXPECT_EQ(L::load_chunk(tid + j, i), L::load_chunk(tid, i) + j);
        }
      }
    }
}

TEST(TcLayout, LdmatrixPhasesAreConflictFree) {
  // ldmatrix.x4 reads one 8x8 matrix per phase: the 8 row addresses of lanes 8q..8q+7.
  for (int warp = 0; warp < L::kWarps; ++warp)
    for (int ks = 0; ks < L::kKSteps; ++ks) {
      for (int mi = 0; mi < L::kFragsM; ++mi)
        for (int q = 0; q < 4; ++q) {
          std::set<int> groups;
          for (int l = 8 * q; l < 8 * q + 8; ++l)
            groups.insert(bank_group(L::a_ldsm_offset(L::warp_m_index(warp), l, ks, mi)));
          EXPECT_EQ(groups.size(), 8u) << "A: warp " << warp << " ks " << ks << " mi " << mi << " matrix " << q;
        }
      for (int nj = 0; nj < L::kLdsmB; ++nj)
        for (int q = 0; q < 4; ++q) {
          std::set<int> groups;
          for (int l = 8 * q; l < 8 * q + 8; ++l)
            groups.insert(bank_group(L::b_ldsm_offset(L::warp_n_index(warp), l, ks, nj)));
          EXPECT_EQ(groups.size(), 8u) << "B: warp " << warp << " ks " << ks << " nj " << nj << " matrix " << q;
        }
    }
}

TEST(TcLayout, WithoutTheSwizzleLdmatrixWouldConflict) {
  // The reason for the XOR: plain row-major 64-byte rows put rows r and r+2 in one bank group.
  std::set<int> groups;
  for (int r = 0; r < 8; ++r) groups.insert(bank_group(r * L::kBlockK));
  EXPECT_EQ(groups.size(), 2u);
}

TEST(TcLayout, WarpsTileTheBlockAndAccumulatorsTileTheWarp) {
  std::vector<int> hits(L::kBlockM * L::kBlockN, 0);
  for (int warp = 0; warp < L::kWarps; ++warp)
    for (int l = 0; l < 32; ++l)
      for (int mi = 0; mi < L::kFragsM; ++mi)
        for (int ni = 0; ni < L::kFragsN; ++ni)
          for (int i = 0; i < 4; ++i) {
            const int r = L::acc_row(L::warp_m_index(warp), mi, l, i);
            const int c = L::acc_col(L::warp_n_index(warp), ni, l, i);
            ASSERT_TRUE(r >= 0 && r < L::kBlockM && c >= 0 && c < L::kBlockN);
            ++hits[r + c * L::kBlockM];
          }
  for (int h : hits) EXPECT_EQ(h, 1);
}

TEST(TcLayout, BlockRasterizationIsABijection) {
  for (int tm : {1, 2, 7, 8, 9, 16, 17, 33})
    for (int tn : {1, 3, 8, 13}) {
      std::vector<int> hits(tm * tn, 0);
      for (int pid = 0; pid < tm * tn; ++pid) {
        const L::TileCoord t = L::block_tile(pid, tm, tn);
        ASSERT_TRUE(t.m >= 0 && t.m < tm && t.n >= 0 && t.n < tn) << tm << "x" << tn << " pid " << pid;
        ++hits[t.m + t.n * tm];
      }
      for (int h : hits) EXPECT_EQ(h, 1) << tm << "x" << tn;
    }
}

TEST(TcLayout, BlocksCoverCEachElementOnceForBothKernelsTileSizes) {
  for (const auto& [bm, bn] : {std::pair{L::kBlockM, L::kBlockN}, std::pair{128, 256}})  // mma.sync, wgmma
    for (const auto& [m, n] : {std::pair{1, 1}, std::pair{127, 129}, std::pair{1100, 300}, std::pair{2049, 513}}) {
      const int blocks = L::ceil_div(m, bm) * L::ceil_div(n, bn);
      std::vector<int> hits(static_cast<std::size_t>(m) * n, 0);
      for (int pid = 0; pid < blocks; ++pid) {
        const L::BlockPlace p = L::place_block(pid, m, n, bm, bn);
        ASSERT_TRUE(p.m0 % bm == 0 && p.n0 % bn == 0 && p.rows == m - p.m0 && p.cols == n - p.n0 && p.rows > 0 &&
                    p.cols > 0);
        for (int j = p.n0; j < p.n0 + std::min(p.cols, bn); ++j)
          for (int i = p.m0; i < p.m0 + std::min(p.rows, bm); ++i) ++hits[i + static_cast<std::size_t>(j) * m];
      }
      for (int h : hits) ASSERT_EQ(h, 1) << m << "x" << n << " in " << bm << "x" << bn << " tiles";
    }
}

TEST(TcLayout, CeilDivHasNoOverflow) {
  EXPECT_EQ(L::ceil_div(1, 128), 1);
  EXPECT_EQ(L::ceil_div(128, 128), 1);
  EXPECT_EQ(L::ceil_div(129, 128), 2);
  EXPECT_EQ(L::ceil_div(INT_MAX, 128), INT_MAX / 128 + 1);
  EXPECT_EQ(L::ceil_div(INT_MAX, 32), INT_MAX / 32 + 1);
}

// ---- Emulation: one warp, one k16 step -------------------------------------------------------------

// Lay a 128x32 A tile and B tile (rows = m or n, k contiguous) out with the swizzle, run the kernel's
// k16 step for every warp and both k halves, and compare every accumulator with the direct product.
TEST(TcLayout, WarpKStepMatchesDirectProduct) {
  const std::vector<float> a = random_ints(L::kTileRows * L::kBlockK, 1);  // a[row * 32 + k]
  const std::vector<float> b = random_ints(L::kTileRows * L::kBlockK, 2);
  std::vector<float> smem(2 * L::kTileElems, NAN);
  const int a_tile = 0, b_tile = L::kTileElems;
  for (int r = 0; r < L::kTileRows; ++r)
    for (int c = 0; c < L::kChunksPerRow; ++c)
      for (int e = 0; e < L::kChunkElems; ++e) {
        smem[a_tile + L::smem_offset(r, c) + e] = a[r * L::kBlockK + c * L::kChunkElems + e];
        smem[b_tile + L::smem_offset(r, c) + e] = b[r * L::kBlockK + c * L::kChunkElems + e];
      }
  for (int warp = 0; warp < L::kWarps; ++warp)
    for (int ks = 0; ks < L::kKSteps; ++ks) {
      const int wm = L::warp_m_index(warp), wn = L::warp_n_index(warp);
      WarpAcc acc;
      warp_kstep(smem, a_tile, b_tile, wm, wn, ks, acc);
      if (HasFatalFailure()) return;
      for (int l = 0; l < 32; ++l)
        for (int mi = 0; mi < L::kFragsM; ++mi)
          for (int ni = 0; ni < L::kFragsN; ++ni)
            for (int i = 0; i < 4; ++i) {
              const int r = L::acc_row(wm, mi, l, i), c = L::acc_col(wn, ni, l, i);
              double want = 0;
              for (int p = ks * L::kMmaK; p < (ks + 1) * L::kMmaK; ++p) want += a[r * L::kBlockK + p] * b[c * L::kBlockK + p];
              ASSERT_EQ(acc.v[l][mi][ni][i], want) << "warp " << warp << " ks " << ks << " lane " << l << " mi " << mi
                                                   << " ni " << ni << " reg " << i << " (C row " << r << ", col " << c << ")";
            }
    }
}

// ---- Emulation: the whole kernel -------------------------------------------------------------------

// The kernel's loop, sequentially: rasterization, the stage ring (loads kStages-1 steps ahead,
// issued before the current step is computed, as in the kernel), both loaders' bounds logic (mirrored
// from load_tile), the k16 steps, and the bounds-checked epilogue. Inputs in the TN layout:
// A[p + i*k], B[p + j*k]; output C[i + j*m]. `written` counts the stores to each element of C.
void emulate_kernel(int m, int n, int k, bool fast, const std::vector<float>& A, const std::vector<float>& B,
                    std::vector<float>& C, std::vector<int>& written) {
  const int tiles_m = L::ceil_div(m, L::kBlockM), tiles_n = L::ceil_div(n, L::kBlockN);
  const int ktiles = L::ceil_div(k, L::kBlockK);
  const int stage_elems = L::kStageBytes / 2;
  for (int pid = 0; pid < tiles_m * tiles_n; ++pid) {
    const L::TileCoord tile = L::block_tile(pid, tiles_m, tiles_n);
    const int m0 = tile.m * L::kBlockM, n0 = tile.n * L::kBlockN;
    const int rows_a = m - m0, rows_b = n - n0;
    std::vector<float> smem(L::kSmemBytes / 2, NAN);  // NaN: reading a never-written place shows
    WarpAcc acc[L::kWarps];

    auto load_tile = [&](int tile_base, const std::vector<float>& G, int row0, int rows, int k0) {
      const int k_left = k - k0;
      for (int tid = 0; tid < L::kThreads; ++tid)
        for (int i = 0; i < L::kLoadsPerThread; ++i) {
          const int r = L::load_row(tid, i), c = L::load_chunk(tid, i), kc = c * L::kChunkElems;
          const int d = tile_base + L::smem_offset(r, c);
          if (fast) {  // whole chunk or zero fill
            const bool ok = r < rows && kc < k_left;
            for (int e = 0; e < L::kChunkElems; ++e)
              smem[d + e] = ok ? G[static_cast<std::size_t>(row0 + r) * k + k0 + kc + e] : 0.0f;
          } else {  // element-wise
            for (int e = 0; e < L::kChunkElems; ++e)
              smem[d + e] = (r < rows && kc + e < k_left) ? G[static_cast<std::size_t>(row0 + r) * k + k0 + kc + e] : 0.0f;
          }
        }
    };
    auto load_stage = [&](int stage, int kt) {
      const int base = stage * stage_elems;
      load_tile(base, A, m0, rows_a, kt * L::kBlockK);
      load_tile(base + L::kTileElems, B, n0, rows_b, kt * L::kBlockK);
    };

    for (int s = 0; s < L::kStages - 1; ++s)
      if (s < ktiles) load_stage(s, s);
    for (int kt = 0; kt < ktiles; ++kt) {
      const int next = kt + L::kStages - 1;
      if (next < ktiles) load_stage(next % L::kStages, next);
      const int a_tile = (kt % L::kStages) * stage_elems, b_tile = a_tile + L::kTileElems;
      for (int warp = 0; warp < L::kWarps; ++warp)
        for (int ks = 0; ks < L::kKSteps; ++ks) {
          warp_kstep(smem, a_tile, b_tile, L::warp_m_index(warp), L::warp_n_index(warp), ks, acc[warp]);
          if (::testing::Test::HasFatalFailure()) return;
        }
    }
    for (int warp = 0; warp < L::kWarps; ++warp)
      for (int l = 0; l < 32; ++l)
        for (int mi = 0; mi < L::kFragsM; ++mi)
          for (int ni = 0; ni < L::kFragsN; ++ni)
            for (int i = 0; i < 4; ++i) {
              const int r = L::acc_row(L::warp_m_index(warp), mi, l, i);
              const int c = L::acc_col(L::warp_n_index(warp), ni, l, i);
              if (r < rows_a && c < rows_b) {
                const std::size_t idx = static_cast<std::size_t>(m0 + r) + static_cast<std::size_t>(n0 + c) * m;
                C[idx] = acc[warp].v[l][mi][ni][i];
                ++written[idx];
              }
            }
  }
}

struct Shape {
  int m, n, k;
  bool fast;
};
void PrintTo(const Shape& s, std::ostream* os) {
  *os << s.m << "x" << s.n << "x" << s.k << (s.fast ? " fast" : " general");
}

class TcKernelEmulation : public ::testing::TestWithParam<Shape> {};

TEST_P(TcKernelEmulation, MatchesDirectProduct) {
  const Shape s = GetParam();
  if (s.fast) {
    ASSERT_EQ(s.k % 8, 0) << "the fast loader needs k % 8 == 0";
  }
  const std::vector<float> A = random_ints(static_cast<std::size_t>(s.m) * s.k, 10 + s.m);
  const std::vector<float> B = random_ints(static_cast<std::size_t>(s.n) * s.k, 20 + s.n);
  std::vector<float> C(static_cast<std::size_t>(s.m) * s.n, NAN);
  std::vector<int> written(C.size(), 0);
  emulate_kernel(s.m, s.n, s.k, s.fast, A, B, C, written);
  if (HasFatalFailure()) return;
  for (int j = 0; j < s.n; ++j)
    for (int i = 0; i < s.m; ++i) {
      const std::size_t idx = static_cast<std::size_t>(i) + static_cast<std::size_t>(j) * s.m;
      double want = 0;
      for (int p = 0; p < s.k; ++p)
        want += A[static_cast<std::size_t>(p) + static_cast<std::size_t>(i) * s.k] *
                B[static_cast<std::size_t>(p) + static_cast<std::size_t>(j) * s.k];
      ASSERT_EQ(written[idx], 1) << "C(" << i << ", " << j << ") stored " << written[idx] << " times";
      ASSERT_EQ(C[idx], want) << "C(" << i << ", " << j << ")";
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, TcKernelEmulation,
                         ::testing::Values(Shape{1, 1, 1, false}, Shape{16, 8, 16, true}, Shape{16, 8, 16, false},
                                           Shape{127, 129, 72, true}, Shape{130, 67, 257, false},
                                           Shape{257, 255, 40, true}, Shape{256, 256, 256, true},
                                           Shape{1000, 3, 64, true}, Shape{3, 1000, 8, true},
                                           Shape{129, 130, 33, false}, Shape{200, 140, 168, false}),
                         [](const ::testing::TestParamInfo<Shape>& info) {
                           const Shape& s = info.param;
                           return std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) +
                                  (s.fast ? "_fast" : "_general");
                         });

}  // namespace
}  // namespace gpuprobe::kernels
