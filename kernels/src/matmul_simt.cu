// The FP32 GEMM ladder: four CUDA-core (SIMT) kernels for C = A * B, each adding one idea to the one
// before it. Column-major like cuBLAS NN: A is m x k (lda = m), B is k x n (ldb = k), C is m x n
// (ldc = m), so element (i, p) of A is A[i + p * m] and a column of any matrix is contiguous.
//
// Every kernel handles any m, n, k >= 1: loads outside the matrices read as zero and stores outside C
// are skipped. float4 (16-byte) accesses are used only where the launcher has checked that the base
// pointer is 16-byte aligned and the leading dimension is a multiple of 4 (so every column starts
// aligned) and the four elements lie inside the matrix; everything else takes a scalar path.
//
// Grids: blockIdx.x walks the tiles down the rows of C (m) and blockIdx.y across its columns (n).
// gridDim.y is limited to 65535, so the launcher splits a very wide C into several launches.
#include <cuda_runtime.h>

#include <climits>
#include <cstddef>
#include <cstdint>

#include "device_info.hpp"
#include "gpuprobe/kernels/matmul.hpp"

namespace gpuprobe::kernels {
namespace {

// ---- helpers shared by the kernels ----------------------------------------------------------------

// Four consecutive elements (r .. r+3, c) of a column-major rows x cols matrix with leading
// dimension ld; those outside the matrix read as zero. `vec` promises that src is 16-byte aligned
// and ld is a multiple of 4; r is always a multiple of 4 here, so the float4 access is aligned.
__device__ __forceinline__ float4 load4(const float* __restrict__ src, int ld, int rows, int cols, int r, int c,
                                        bool vec) {
  float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
  if (c >= cols || r >= rows) return v;
  const float* p = src + static_cast<std::size_t>(c) * ld + r;
  if (vec && r + 3 < rows) return *reinterpret_cast<const float4*>(p);
  v.x = p[0];
  if (r + 1 < rows) v.y = p[1];
  if (r + 2 < rows) v.z = p[2];
  if (r + 3 < rows) v.w = p[3];
  return v;
}

// Stores rows r .. r+3 of column c of C (m x n, ldc = m), skipping what lies outside; `vec` as above.
__device__ __forceinline__ void store4(float* __restrict__ C, int m, int n, int r, int c, float4 v, bool vec) {
  if (c >= n || r >= m) return;
  float* p = C + static_cast<std::size_t>(c) * m + r;
  if (vec && r + 3 < m) {
    *reinterpret_cast<float4*>(p) = v;
    return;
  }
  p[0] = v.x;
  if (r + 1 < m) p[1] = v.y;
  if (r + 2 < m) p[2] = v.z;
  if (r + 3 < m) p[3] = v.w;
}

// A float4 from shared memory (one LDS.128); p must be 16-byte aligned.
__device__ __forceinline__ float4 lds4(const float* p) { return *reinterpret_cast<const float4*>(p); }
// Two float4 into eight registers, a thread's fragment of A or B for one step p.
__device__ __forceinline__ void unpack(float (&r)[8], float4 lo, float4 hi) {
  r[0] = lo.x, r[1] = lo.y, r[2] = lo.z, r[3] = lo.w;
  r[4] = hi.x, r[5] = hi.y, r[6] = hi.z, r[7] = hi.w;
}

// ---- 1. naive ---------------------------------------------------------------------------------------
// One thread per element of C, every operand straight from global memory. threadIdx.x walks down a
// column (the row index i), so the 32 threads of a warp read 32 consecutive floats of A and write 32
// consecutive floats of C (coalesced), and all read the same B[p, j] (a broadcast). Each element of
// A is still read n times and each of B m times from memory (L1/L2 catch some of it): the kernel
// does 2 flops per 8 bytes loaded and is bound by memory, far from the FP32 peak.
constexpr int kNaiveX = 32, kNaiveY = 8;

__global__ void __launch_bounds__(kNaiveX * kNaiveY)
    sgemm_naive(int m, int n, int k, const float* __restrict__ A, const float* __restrict__ B, float* __restrict__ C) {
  const int i = blockIdx.x * kNaiveX + threadIdx.x;
  const int j = blockIdx.y * kNaiveY + threadIdx.y;
  if (i >= m || j >= n) return;
  const float* a = A + i;                                  // A[i, p] = a[p * m]: p columns further on
  const float* b = B + static_cast<std::size_t>(j) * k;  // B[p, j] = b[p]: column j of B is contiguous
  float acc = 0.f;
  for (int p = 0; p < k; ++p) acc += a[static_cast<std::size_t>(p) * m] * b[p];
  C[static_cast<std::size_t>(j) * m + i] = acc;
}

// ---- 2. smem_tiled -----------------------------------------------------------------------------------
// A 32 x 32 block of threads computes a 32 x 32 tile of C. It walks k in steps of 32: the block
// first copies a 32 x 32 tile of A and one of B into shared memory (each thread one element of each,
// coalesced), syncs, and then every thread runs 32 multiply-adds out of shared memory. Each global
// element is now read by one block once per 32 outputs instead of once per output: 32x less global
// traffic, and the kernel becomes bound by shared-memory bandwidth (2 shared loads per FMA).
//
// Bank conflicts: both tiles are stored in the order they arrive (consecutive threadIdx.x ->
// consecutive words), As as [p][i] and Bs as [j][p]. In the inner loop a warp (fixed threadIdx.y)
// reads a row of As (32 consecutive words, 32 banks) and a single word of Bs (a broadcast), so no
// access conflicts and no padding is needed. Storing Bs as [p][j] instead would make the store
// Bs[threadIdx.x][threadIdx.y] hit one bank 32 times; that layout needs a +1 pad ([32][33]).
constexpr int kTile = 32;

__global__ void __launch_bounds__(kTile * kTile)
    sgemm_smem_tiled(int m, int n, int k, const float* __restrict__ A, const float* __restrict__ B,
                     float* __restrict__ C) {
  __shared__ float As[kTile][kTile];  // As[p][i] = A[row0 + i, k0 + p]
  __shared__ float Bs[kTile][kTile];  // Bs[j][p] = B[k0 + p, col0 + j]
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row0 = blockIdx.x * kTile, col0 = blockIdx.y * kTile;
  const int row = row0 + tx, col = col0 + ty;  // the element of C this thread computes
  float acc = 0.f;
  for (int k0 = 0; k0 < k; k0 += kTile) {
    // A[row, k0 + ty]: consecutive tx read consecutive rows of one column.
    As[ty][tx] = (row < m && k0 + ty < k) ? A[static_cast<std::size_t>(k0 + ty) * m + row] : 0.f;
    // B[k0 + tx, col0 + ty]: consecutive tx read consecutive rows of column col0 + ty.
    Bs[ty][tx] = (k0 + tx < k && col < n) ? B[static_cast<std::size_t>(col) * k + k0 + tx] : 0.f;
    __syncthreads();
#pragma unroll
    for (int p = 0; p < kTile; ++p) acc += As[p][tx] * Bs[ty][p];
    __syncthreads();  // before the next iteration overwrites the tiles
  }
  if (row < m && col < n) C[static_cast<std::size_t>(col) * m + row] = acc;
}

// ---- 3. register_blocked ------------------------------------------------------------------------------
// 256 threads compute a 128 x 128 tile of C, 8 x 8 = 64 results per thread held in registers; k
// advances by 8. Per step p a thread loads 8 values of A and 8 of B from shared memory into registers
// and does their outer product: 64 FMAs for 16 shared loads (4 float4 loads), versus 1 FMA per 2
// loads in smem_tiled. Global traffic also drops 4x (128-wide instead of 32-wide tiles). The limit
// moves from memory towards the FMA units.
//
// Global -> shared: the A tile (128 rows x 8 columns of k) is 8 contiguous 512-byte column pieces,
// one float4 per thread; the B tile (8 rows of k x 128 columns) is 128 pieces of 8 floats, one float4
// per thread, stored transposed as Bs[p][j] so the compute loop reads a row of both tiles.
//
// A thread's 8 rows are not contiguous but two groups of 4 (tx*4 and 64 + tx*4), and so are its
// columns: then a warp's float4 reads of a row of As cover 256 consecutive bytes (no bank conflict),
// and its float4 stores of C are 256 consecutive bytes per column. Bs rows are padded to
// 132 floats: the transposed store puts the two threads of a column pair 4 rows apart, and with a
// stride of 132 (= 4 mod 32) their banks differ by 16 instead of coinciding (132 * 4 bytes keeps
// every row 16-byte aligned for the float4 reads).
constexpr int kBM = 128, kBN = 128, kRbBK = 8, kRbThreads = 256, kBPad = 4;

__global__ void __launch_bounds__(kRbThreads, 2)
    sgemm_register_blocked(int m, int n, int k, const float* __restrict__ A, const float* __restrict__ B,
                           float* __restrict__ C, bool vec_a, bool vec_b, bool vec_c) {
  __shared__ __align__(16) float As[kRbBK][kBM];          // As[p][i] = A[row0 + i, k0 + p]
  __shared__ __align__(16) float Bs[kRbBK][kBN + kBPad];  // Bs[p][j] = B[k0 + p, col0 + j]
  const int t = threadIdx.x;
  const int row0 = blockIdx.x * kBM, col0 = blockIdx.y * kBN;
  // What this thread copies: A rows a_i .. a_i+3 of tile column a_p; B rows b_p .. b_p+3 of column b_j.
  const int a_p = t / 32, a_i = (t % 32) * 4;  // 8 columns x 32 float4
  const int b_j = t / 2, b_p = (t % 2) * 4;    // 128 columns x 2 float4
  // What this thread computes: rows tx*4 + {0..3} and 64 + tx*4 + {0..3}, the same for columns with ty.
  const int tx = t % 16, ty = t / 16;

  float acc[8][8] = {};
  for (int k0 = 0; k0 < k; k0 += kRbBK) {
    const float4 a = load4(A, m, m, k, row0 + a_i, k0 + a_p, vec_a);
    *reinterpret_cast<float4*>(&As[a_p][a_i]) = a;
    const float4 b = load4(B, k, k, n, k0 + b_p, col0 + b_j, vec_b);
    Bs[b_p + 0][b_j] = b.x;
    Bs[b_p + 1][b_j] = b.y;
    Bs[b_p + 2][b_j] = b.z;
    Bs[b_p + 3][b_j] = b.w;
    __syncthreads();
#pragma unroll
    for (int p = 0; p < kRbBK; ++p) {
      float ra[8], rb[8];
      unpack(ra, lds4(&As[p][tx * 4]), lds4(&As[p][64 + tx * 4]));
      unpack(rb, lds4(&Bs[p][ty * 4]), lds4(&Bs[p][64 + ty * 4]));
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] += ra[i] * rb[j];
    }
    __syncthreads();  // before the next iteration overwrites the tiles
  }
#pragma unroll
  for (int j = 0; j < 8; ++j) {
    const int col = col0 + (j / 4) * 64 + ty * 4 + j % 4;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const float4 v = make_float4(acc[h * 4 + 0][j], acc[h * 4 + 1][j], acc[h * 4 + 2][j], acc[h * 4 + 3][j]);
      store4(C, m, n, row0 + h * 64 + tx * 4, col, v, vec_c);
    }
  }
}

// ---- 4. warp_tiled -------------------------------------------------------------------------------------
// Same 128 x 128 block tile and 8 x 8 results per thread, with three changes:
//  * k advances by 16 and each tile needs one __syncthreads instead of two (below): 4x fewer syncs.
//  * The 8 warps are laid out 2 (rows) x 4 (columns), each owning a 64 x 32 warp tile; inside it the
//    32 lanes form an 8 x 4 grid and each lane owns 2 x 2 fragments of 4 x 4. Per step p a warp's
//    float4 shared reads touch 128 consecutive bytes of As and 64 of Bs (the other lanes get
//    broadcasts): few shared-memory wavefronts per 64 FMAs, so the FMA pipes stay busy.
//  * Double buffering: two copies of each shared tile. While the block computes out of one, each
//    thread has already issued the global loads of the next tile into registers; they are stored to
//    the other copy after the compute, so global latency hides behind 16 x 64 FMAs and one
//    __syncthreads per tile suffices (the copy being written was last read before the previous sync).
// Registers: 64 accumulators + 16 fragment values + 16 staged values, within the 128 allowed for two
// 256-thread blocks per SM (16 warps, 4 per scheduler). Shared memory: 33,280 bytes per block, so two
// blocks fit from Volta/Ampere on; Turing's 64 KB per SM holds one.
constexpr int kWtBK = 16, kWtThreads = 256;

__global__ void __launch_bounds__(kWtThreads, 2)
    sgemm_warp_tiled(int m, int n, int k, const float* __restrict__ A, const float* __restrict__ B,
                     float* __restrict__ C, bool vec_a, bool vec_b, bool vec_c) {
  __shared__ __align__(16) float As[2][kWtBK][kBM];          // As[s][p][i] = A[row0 + i, k0 + p]
  __shared__ __align__(16) float Bs[2][kWtBK][kBN + kBPad];  // Bs[s][p][j] = B[k0 + p, col0 + j]
  const int t = threadIdx.x, warp = t / 32, lane = t % 32;
  const int row0 = blockIdx.x * kBM, col0 = blockIdx.y * kBN;

  // Global -> shared copy, two float4 of A and two of B per thread and tile.
  // A: tile columns a_p and a_p + 8, rows a_i .. a_i+3 (a warp reads one 512-byte column piece).
  const int a_p = t / 32, a_i = (t % 32) * 4;
  // B: column b_j, tile rows b_p .. b_p+3 and b_p+8 .. b_p+11. A warp covers 16 columns x 2 float4
  // (whole 32-byte sectors), and in the transposed store the two lanes of a column sit 4 rows apart,
  // which the 132-float row stride turns into banks 16 apart: no conflicts.
  const int b_j = warp * 16 + lane / 2, b_p = (lane % 2) * 4;

  // Compute layout: rows wm*64 + f*32 + lm*4 + {0..3}, columns wn*32 + g*16 + ln*4 + {0..3}, f, g in {0, 1}.
  const int wm = warp % 2, wn = warp / 2, lm = lane % 8, ln = lane / 8;
  const int r_base = wm * 64 + lm * 4, c_base = wn * 32 + ln * 4;

  float4 sa[2], sb[2];  // the next tile, staged in registers
  auto load_tile = [&](int k0) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      sa[h] = load4(A, m, m, k, row0 + a_i, k0 + a_p + h * 8, vec_a);
      sb[h] = load4(B, k, k, n, k0 + b_p + h * 8, col0 + b_j, vec_b);
    }
  };
  auto store_tile = [&](int s) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      *reinterpret_cast<float4*>(&As[s][a_p + h * 8][a_i]) = sa[h];
      const int p = b_p + h * 8;
      Bs[s][p + 0][b_j] = sb[h].x;
      Bs[s][p + 1][b_j] = sb[h].y;
      Bs[s][p + 2][b_j] = sb[h].z;
      Bs[s][p + 3][b_j] = sb[h].w;
    }
  };

  float acc[8][8] = {};
  load_tile(0);
  store_tile(0);
  __syncthreads();
  const int tiles = (k + kWtBK - 1) / kWtBK;
  for (int tile = 0; tile < tiles; ++tile) {
    const int s = tile & 1;
    const bool more = tile + 1 < tiles;
    if (more) load_tile((tile + 1) * kWtBK);  // in flight during the compute below
#pragma unroll
    for (int p = 0; p < kWtBK; ++p) {
      float ra[8], rb[8];
      unpack(ra, lds4(&As[s][p][r_base]), lds4(&As[s][p][r_base + 32]));
      unpack(rb, lds4(&Bs[s][p][c_base]), lds4(&Bs[s][p][c_base + 16]));
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] += ra[i] * rb[j];
    }
    if (more) store_tile(s ^ 1);  // copy s ^ 1 was last read in the previous tile, before the last sync
    __syncthreads();
  }
#pragma unroll
  for (int j = 0; j < 8; ++j) {
    const int col = col0 + c_base + (j / 4) * 16 + j % 4;
#pragma unroll
    for (int f = 0; f < 2; ++f) {
      const float4 v = make_float4(acc[f * 4 + 0][j], acc[f * 4 + 1][j], acc[f * 4 + 2][j], acc[f * 4 + 3][j]);
      store4(C, m, n, row0 + r_base + f * 32, col, v, vec_c);
    }
  }
}

// ---- launcher ----------------------------------------------------------------------------------------

// Columns of C one launch covers: gridDim.y <= 65535 column tiles.
constexpr int kMaxGridY = 65535;

// One launch over columns [0, n) of the (already offset) B and C.
cudaError_t launch(Sgemm kind, int m, int n, int k, const float* A, const float* B, float* C, cudaStream_t stream) {
  using detail::aligned16;
  const bool vec_a = aligned16(A) && m % 4 == 0;
  const bool vec_b = aligned16(B) && k % 4 == 0;
  const bool vec_c = aligned16(C) && m % 4 == 0;
  switch (kind) {
    case Sgemm::naive: {
      const dim3 block(kNaiveX, kNaiveY), grid((m + kNaiveX - 1) / kNaiveX, (n + kNaiveY - 1) / kNaiveY);
      sgemm_naive<<<grid, block, 0, stream>>>(m, n, k, A, B, C);
      break;
    }
    case Sgemm::smem_tiled: {
      const dim3 block(kTile, kTile), grid((m + kTile - 1) / kTile, (n + kTile - 1) / kTile);
      sgemm_smem_tiled<<<grid, block, 0, stream>>>(m, n, k, A, B, C);
      break;
    }
    case Sgemm::register_blocked: {
      const dim3 grid((m + kBM - 1) / kBM, (n + kBN - 1) / kBN);
      sgemm_register_blocked<<<grid, kRbThreads, 0, stream>>>(m, n, k, A, B, C, vec_a, vec_b, vec_c);
      break;
    }
    case Sgemm::warp_tiled: {
      const dim3 grid((m + kBM - 1) / kBM, (n + kBN - 1) / kBN);
      sgemm_warp_tiled<<<grid, kWtThreads, 0, stream>>>(m, n, k, A, B, C, vec_a, vec_b, vec_c);
      break;
    }
    default: return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

int tile_cols(Sgemm kind) {
  switch (kind) {
    case Sgemm::naive: return kNaiveY;
    case Sgemm::smem_tiled: return kTile;
    default: return kBN;
  }
}

}  // namespace

const char* to_string(Sgemm kind) {
  switch (kind) {
    case Sgemm::naive: return "naive";
    case Sgemm::smem_tiled: return "smem_tiled";
    case Sgemm::register_blocked: return "register_blocked";
    case Sgemm::warp_tiled: return "warp_tiled";
  }
  return "unknown";
}

cudaError_t sgemm(Sgemm kind, int m, int n, int k, const float* A, const float* B, float* C, cudaStream_t stream) {
  // Tile arithmetic (a tile's first row + 127 + 3, ...) stays in int below this bound.
  constexpr int kMaxDim = INT_MAX - 1024;
  if (m < 1 || n < 1 || k < 1 || m > kMaxDim || n > kMaxDim || k > kMaxDim) return cudaErrorInvalidValue;
  if (A == nullptr || B == nullptr || C == nullptr) return cudaErrorInvalidValue;
  switch (kind) {
    case Sgemm::naive: case Sgemm::smem_tiled: case Sgemm::register_blocked: case Sgemm::warp_tiled: break;
    default: return cudaErrorInvalidValue;
  }
  // Columns j0 .. j0 + cols - 1 of C only need columns j0 .. of B: C = A * B column block by block.
  const int max_cols = kMaxGridY * tile_cols(kind);
  for (std::int64_t j0 = 0; j0 < n; j0 += max_cols) {
    const int cols = n - j0 < max_cols ? static_cast<int>(n - j0) : max_cols;
    const cudaError_t e = launch(kind, m, cols, k, A, B + static_cast<std::size_t>(j0) * k,
                                 C + static_cast<std::size_t>(j0) * m, stream);
    if (e != cudaSuccess) return e;
  }
  return cudaSuccess;
}

}  // namespace gpuprobe::kernels
