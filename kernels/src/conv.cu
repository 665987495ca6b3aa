// 2-D convolution forward, FP32, NHWC input, KRSC filter, NPQK output (see conv.hpp).
//
// Two kernels:
//  * direct: one thread per output element, the textbook loop nest. Slow, obviously right; a
//    second reference.
//  * implicit_gemm: the convolution as a GEMM, Y[M x K] = A[M x Kdim] * B[Kdim x K] with
//      M    = N*P*Q   one row per output pixel (n, p, q): the NPQK output is Y row-major,
//      K    = K       one column per output channel,
//      Kdim = R*S*C   the reduction over filter taps, kk = (r*S + s)*C + c,
//    A(m, kk) = x[n][p*stride_h - pad_h + r*dil_h][q*stride_w - pad_w + s*dil_w][c] (0 in padding)
//    B(kk, k) = w[k][r][s][c] = w[k*Kdim + kk]   (each filter is one contiguous row of Kdim).
//    The im2col matrix A is never stored: tiles of it are gathered straight from x into shared
//    memory. Apart from that gather it is a register-blocked SGEMM: a BM x BN block tile, BK = 8
//    along Kdim, 8 x 8 outputs per thread in registers, double-buffered shared memory.
#include <climits>
#include <cstdint>

#include "gpuprobe/kernels/conv.hpp"

#include "device_info.hpp"

namespace gpuprobe::kernels {
namespace {

using i64 = std::int64_t;

using detail::sm_count;

// =============================================================================================
// direct
// =============================================================================================

// Output element t = ((n*P + p)*Q + q)*K + k, k fastest: a warp writes consecutive addresses and
// reads the same input pixel (broadcast).
__global__ void __launch_bounds__(256, 4)
    conv_direct_kernel(ConvShape sh, const float* __restrict__ x, const float* __restrict__ w, float* __restrict__ y,
                       i64 total) {
  const int P = sh.p(), Q = sh.q();
  const i64 stride = static_cast<i64>(gridDim.x) * blockDim.x;
  for (i64 t = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x; t < total; t += stride) {
    const int k = static_cast<int>(t % sh.k);
    i64 pix = t / sh.k;
    const int q = static_cast<int>(pix % Q);
    pix /= Q;
    const int p = static_cast<int>(pix % P);
    const int n = static_cast<int>(pix / P);

    float acc = 0.f;
    for (int r = 0; r < sh.r; ++r) {
      const int ih = p * sh.stride_h - sh.pad_h + r * sh.dil_h;
      if (ih < 0 || ih >= sh.h) continue;  // zero padding contributes nothing
      for (int s = 0; s < sh.s; ++s) {
        const int iw = q * sh.stride_w - sh.pad_w + s * sh.dil_w;
        if (iw < 0 || iw >= sh.w) continue;
        const float* xp = x + ((static_cast<i64>(n) * sh.h + ih) * sh.w + iw) * sh.c;
        const float* wp = w + ((static_cast<i64>(k) * sh.r + r) * sh.s + s) * sh.c;
        for (int c = 0; c < sh.c; ++c) acc = fmaf(xp[c], wp[c], acc);
      }
    }
    y[t] = acc;
  }
}

cudaError_t launch_direct(const ConvShape& sh, const float* x, const float* w, float* y, cudaStream_t stream) {
  constexpr int kBlock = 256;
  const i64 total = sh.y_elems();
  const i64 want = (total + kBlock - 1) / kBlock;
  const int grid = static_cast<int>(want < (i64{1} << 22) ? want : (i64{1} << 22));  // grid-stride beyond
  conv_direct_kernel<<<grid, kBlock, 0, stream>>>(sh, x, w, y, total);
  return cudaGetLastError();
}

// =============================================================================================
// implicit GEMM
// =============================================================================================

struct GemmGeom {
  ConvShape sh;
  int P, Q;
  i64 M;     // N*P*Q output pixels
  int Kdim;  // R*S*C
};

constexpr int kBK = 8;   // tile depth along Kdim
constexpr int kPad = 4;  // shared-memory row padding (floats): conflict-free transposing stores

// Register budgets (checked with -Xptxas -v: no spills on sm_75 .. sm_120). 128 x 128: 128 registers,
// 2 blocks (16 warps) per SM, which needs the compute loop unrolled by 2 only (fully unrolled,
// ptxas hoists shared-memory loads and spills). The smaller tiles, which carry two A or B chunks
// per thread, get up to 168 registers: 3 blocks of 128 or 6 blocks of 64 threads per SM.
template <int BM, int BN>
constexpr int kMinBlocks = BM * BN == 128 * 128 ? 2 : 65536 / (BM * BN / 64 * 168);
template <int BM, int BN>
constexpr int kComputeUnroll = BM * BN == 128 * 128 ? 2 : kBK;

// Block tile BM x BN, BM*BN/64 threads, each computing 8 x 8 outputs: rows {ty*4 + i, BM/2 + ty*4 + i}
// and columns {tx*4 + j, BN/2 + tx*4 + j} for i, j < 4. The two halves keep every shared-memory read
// a float4 and spread a warp's reads over distinct banks.
//
// kVec: C % 4 == 0 and x, w 16-byte aligned. A 4-wide chunk of Kdim starting at a multiple of 4
// then lies inside one filter tap (same r, s; channels c..c+3) and is one float4 in x and in w.
// Otherwise every element is loaded alone, with its own tap and bounds check.
template <int BM, int BN, bool kVec>
__global__ void __launch_bounds__(BM * BN / 64, kMinBlocks<BM, BN>)
    conv_igemm_kernel(const GemmGeom g, const float* __restrict__ x, const float* __restrict__ w,
                      float* __restrict__ y) {
  constexpr int kThreads = BM * BN / 64;
  constexpr int kTX = BN / 8;                         // threads along N (output channels)
  constexpr int kWarpsX = kTX / 8;                    // a warp is 8 threads along N x 4 along M
  constexpr int kChunks = kBK / 4;                    // float4 chunks in one tile row
  constexpr int kRowStep = kThreads / kChunks;        // tile rows between one thread's loads
  constexpr int kALoads = BM * kChunks / kThreads;    // chunks of the A tile per thread
  constexpr int kBLoads = BN * kChunks / kThreads;    // chunks of the B tile per thread
  static_assert(BM % 32 == 0 && BN % 64 == 0, "warp layout needs BM % 32 == 0, BN % 64 == 0");
  static_assert(kBK % 4 == 0 && kThreads % kChunks == 0, "each thread loads one fixed chunk column");
  static_assert(kALoads * kThreads == BM * kChunks && kBLoads * kThreads == BN * kChunks, "tiles split evenly");
  static_assert((BM + kPad) % 4 == 0 && (BN + kPad) % 4 == 0, "float4 reads of shared rows stay aligned");

  // Transposed tiles: As[kk][m], Bs[kk][n], so the compute loop reads 4 consecutive m (or n) as a
  // float4. The padding of 4 floats makes the transposing stores conflict-free: a warp stores 16
  // consecutive rows for each of two chunk columns, which land 16 banks apart.
  __shared__ __align__(16) float As[2][kBK][BM + kPad];
  __shared__ __align__(16) float Bs[2][kBK][BN + kPad];

  const int tid = static_cast<int>(threadIdx.x);
  const int H = g.sh.h, W = g.sh.w, C = g.sh.c, S = g.sh.s, K = g.sh.k, Kdim = g.Kdim;
  const i64 m0 = static_cast<i64>(blockIdx.x) * BM;
  const int k0 = static_cast<int>(blockIdx.y) * BN;

  // ---- Loader state, set up once. --------------------------------------------------------------
  // Thread `tid` loads chunk column kq (Kdim offsets kq*4 .. kq*4+3 of each tile) of the tile rows
  // lrow + j*kRowStep: consecutive threads read consecutive chunks of a row, 32 contiguous bytes
  // per output pixel (A) or filter (B) per tile -- full 32-byte sectors.
  const int kq = tid % kChunks;
  const int lrow = tid / kChunks;

  // A rows: output pixel m -> (n, p, q) -> top-left input coordinate (h0, w0) and the offset of
  // that (possibly padded, hence possibly negative) input position. Rows past M are clamped onto
  // M-1: they load real data, compute garbage, and are never stored. No per-tile row check.
  i64 a_base[kALoads];
  int a_h0[kALoads], a_w0[kALoads];
  const i64 PQ = static_cast<i64>(g.P) * g.Q;
#pragma unroll
  for (int j = 0; j < kALoads; ++j) {
    i64 m = m0 + lrow + j * kRowStep;
    if (m > g.M - 1) m = g.M - 1;
    const int n = static_cast<int>(m / PQ);
    const i64 pq = m - n * PQ;
    const int p = static_cast<int>(pq / g.Q), q = static_cast<int>(pq - static_cast<i64>(p) * g.Q);
    a_h0[j] = p * g.sh.stride_h - g.sh.pad_h;
    a_w0[j] = q * g.sh.stride_w - g.sh.pad_w;
    a_base[j] = ((static_cast<i64>(n) * H + a_h0[j]) * W + a_w0[j]) * C;
  }
  // B rows: filter k, clamped onto K-1 like the A rows.
  const float* b_row[kBLoads];
#pragma unroll
  for (int j = 0; j < kBLoads; ++j) {
    const int k = min(k0 + lrow + j * kRowStep, K - 1);
    b_row[j] = w + static_cast<i64>(k) * Kdim;
  }

  // Kdim position kk of this thread's chunk in the current tile, and its filter tap (tr, ts, tc),
  // advanced incrementally (no division in the main loop). kk >= Kdim: past the end, zero fill.
  int kk = kq * 4;
  int tc = kk % C, ts = (kk / C) % S, tr = (kk / C) / S;

  auto advance = [&] {
    kk += kBK;
    tc += kBK;
    while (tc >= C) {  // once per tile when C >= BK; a few times for tiny C
      tc -= C;
      if (++ts == S) {
        ts = 0;
        ++tr;
      }
    }
  };

  // Gather this thread's chunks of the next A and B tiles into registers.
  auto load = [&](float4 (&ra)[kALoads], float4 (&rb)[kBLoads]) {
    if constexpr (kVec) {
      const bool k_ok = kk < Kdim;  // Kdim % 4 == 0: the chunk is all in or all out
      const int dh = tr * g.sh.dil_h, dw = ts * g.sh.dil_w;
      const i64 tap_off = (static_cast<i64>(dh) * W + dw) * C + tc;
#pragma unroll
      for (int j = 0; j < kALoads; ++j) {
        const int ih = a_h0[j] + dh, iw = a_w0[j] + dw;
        const bool ok = k_ok && ih >= 0 && ih < H && iw >= 0 && iw < W;
        ra[j] = ok ? __ldg(reinterpret_cast<const float4*>(x + (a_base[j] + tap_off)))
                   : make_float4(0.f, 0.f, 0.f, 0.f);
      }
#pragma unroll
      for (int j = 0; j < kBLoads; ++j)
        rb[j] = k_ok ? __ldg(reinterpret_cast<const float4*>(b_row[j] + kk)) : make_float4(0.f, 0.f, 0.f, 0.f);
    } else {
      float va[kALoads][4], vb[kBLoads][4];
      int r = tr, s = ts, c = tc;  // tap of element kk + e, stepped by one per e
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        if (e > 0 && ++c == C) {
          c = 0;
          if (++s == S) {
            s = 0;
            ++r;
          }
        }
        const bool k_ok = kk + e < Kdim;
        const int dh = r * g.sh.dil_h, dw = s * g.sh.dil_w;
        const i64 tap_off = (static_cast<i64>(dh) * W + dw) * C + c;
#pragma unroll
        for (int j = 0; j < kALoads; ++j) {
          const int ih = a_h0[j] + dh, iw = a_w0[j] + dw;
          const bool ok = k_ok && ih >= 0 && ih < H && iw >= 0 && iw < W;
          va[j][e] = ok ? __ldg(x + (a_base[j] + tap_off)) : 0.f;
        }
#pragma unroll
        for (int j = 0; j < kBLoads; ++j) vb[j][e] = k_ok ? __ldg(b_row[j] + kk + e) : 0.f;
      }
#pragma unroll
      for (int j = 0; j < kALoads; ++j) ra[j] = make_float4(va[j][0], va[j][1], va[j][2], va[j][3]);
#pragma unroll
      for (int j = 0; j < kBLoads; ++j) rb[j] = make_float4(vb[j][0], vb[j][1], vb[j][2], vb[j][3]);
    }
  };

  // Registers -> shared buffer `buf`, transposed: chunk (row, kq) goes to column `row` of
  // shared rows kq*4 .. kq*4+3.
  auto store = [&](int buf, const float4 (&ra)[kALoads], const float4 (&rb)[kBLoads]) {
#pragma unroll
    for (int j = 0; j < kALoads; ++j) {
      const int row = lrow + j * kRowStep;
      As[buf][kq * 4 + 0][row] = ra[j].x;
      As[buf][kq * 4 + 1][row] = ra[j].y;
      As[buf][kq * 4 + 2][row] = ra[j].z;
      As[buf][kq * 4 + 3][row] = ra[j].w;
    }
#pragma unroll
    for (int j = 0; j < kBLoads; ++j) {
      const int row = lrow + j * kRowStep;
      Bs[buf][kq * 4 + 0][row] = rb[j].x;
      Bs[buf][kq * 4 + 1][row] = rb[j].y;
      Bs[buf][kq * 4 + 2][row] = rb[j].z;
      Bs[buf][kq * 4 + 3][row] = rb[j].w;
    }
  };

  // ---- Compute mapping: warps of 8 (N) x 4 (M) threads. A warp's float4 reads then touch 4
  // distinct A addresses and 8 distinct B addresses: one shared-memory wavefront each.
  const int warp = tid / 32, lane = tid % 32;
  const int tx = (warp % kWarpsX) * 8 + lane % 8;
  const int ty = (warp / kWarpsX) * 4 + lane / 8;

  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;

  const int num_tiles = (Kdim + kBK - 1) / kBK;
  {
    float4 ra[kALoads], rb[kBLoads];
    load(ra, rb);
    store(0, ra, rb);
  }
  __syncthreads();

  // Double buffering, one barrier per tile: while tile t is consumed from buffer t&1, tile t+1 is
  // fetched from global memory into registers (its latency hidden behind the 8*64 FMAs) and
  // written into the other buffer, which everyone finished reading before the previous barrier.
  for (int t = 0; t < num_tiles; ++t) {
    const int buf = t & 1;
    const bool more = t + 1 < num_tiles;
    float4 ra[kALoads], rb[kBLoads];
    if (more) {
      advance();
      load(ra, rb);
    }
#pragma unroll(kComputeUnroll<BM, BN>)
    for (int k = 0; k < kBK; ++k) {
      const float4 a0 = *reinterpret_cast<const float4*>(&As[buf][k][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[buf][k][BM / 2 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][k][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][k][BN / 2 + tx * 4]);
      const float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    if (more) store(buf ^ 1, ra, rb);
    __syncthreads();
  }

  // ---- Epilogue: Y[m][k] = y[m*K + k]. A warp writes 4 rows x 32 consecutive floats per store.
  const bool vec_out = (K % 4 == 0) && (reinterpret_cast<std::uintptr_t>(y) % 16 == 0);
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const i64 m = m0 + (i < 4 ? ty * 4 + i : BM / 2 + ty * 4 + (i - 4));
    if (m >= g.M) continue;
    float* yrow = y + m * K;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int col = k0 + h * (BN / 2) + tx * 4;  // a multiple of 4
      if (vec_out) {
        if (col < K)  // K % 4 == 0: col + 3 < K as well
          *reinterpret_cast<float4*>(yrow + col) =
              make_float4(acc[i][h * 4 + 0], acc[i][h * 4 + 1], acc[i][h * 4 + 2], acc[i][h * 4 + 3]);
      } else {
#pragma unroll
        for (int e = 0; e < 4; ++e)
          if (col + e < K) yrow[col + e] = acc[i][h * 4 + e];
      }
    }
  }
}

template <int BM, int BN>
cudaError_t launch_igemm(const GemmGeom& g, bool vec, const float* x, const float* w, float* y, cudaStream_t stream) {
  const i64 m_tiles = (g.M + BM - 1) / BM;
  const int k_tiles = (g.sh.k + BN - 1) / BN;
  if (m_tiles > INT_MAX || k_tiles > 65535) return cudaErrorInvalidValue;  // beyond the grid limits
  const dim3 grid(static_cast<unsigned>(m_tiles), static_cast<unsigned>(k_tiles));
  // blockIdx.x runs over pixels: blocks resident together share the same filters (B tile) in L2.
  if (vec)
    conv_igemm_kernel<BM, BN, true><<<grid, BM * BN / 64, 0, stream>>>(g, x, w, y);
  else
    conv_igemm_kernel<BM, BN, false><<<grid, BM * BN / 64, 0, stream>>>(g, x, w, y);
  return cudaGetLastError();
}

// Tile choice. A block's cost is BM*BN (its 8x8-per-thread work, padding included); the busiest SM
// runs ceil(blocks / SMs) of them. Pick the tile that minimizes that (wave quantization and tile
// padding, e.g. K = 64 in a 128-wide tile), ties going to the bigger tile, which loads fewer bytes
// per FMA. ResNet-50 3x3 layers at N = 32 on 132 SMs: 56x56 (K = 64) and 28x28 -> 128 x 64,
// 14x14 -> 64 x 64, 7x7 -> 128 x 64; big problems (many waves) -> 128 x 128.
cudaError_t launch_implicit_gemm(const ConvShape& sh, const float* x, const float* w, float* y, cudaStream_t stream) {
  GemmGeom g;
  g.sh = sh;
  g.P = sh.p();
  g.Q = sh.q();
  g.M = static_cast<i64>(sh.n) * g.P * g.Q;
  const i64 kdim = static_cast<i64>(sh.r) * sh.s * sh.c;
  if (kdim > INT_MAX - 64) return cudaErrorInvalidValue;  // kk is an int
  g.Kdim = static_cast<int>(kdim);

  const bool vec = sh.c % 4 == 0 && detail::aligned16(x) && detail::aligned16(w);
  const i64 sms = sm_count();
  auto cost = [&](int bm, int bn) {
    const i64 blocks = ((g.M + bm - 1) / bm) * ((sh.k + bn - 1) / bn);
    return (blocks + sms - 1) / sms * bm * bn;
  };
  const i64 c128x128 = cost(128, 128), c128x64 = cost(128, 64), c64x64 = cost(64, 64);
  if (c128x128 <= c128x64 && c128x128 <= c64x64) return launch_igemm<128, 128>(g, vec, x, w, y, stream);
  if (c128x64 <= c64x64) return launch_igemm<128, 64>(g, vec, x, w, y, stream);
  return launch_igemm<64, 64>(g, vec, x, w, y, stream);
}

}  // namespace

const char* to_string(Conv kind) {
  switch (kind) {
    case Conv::direct: return "direct";
    case Conv::implicit_gemm: return "implicit_gemm";
  }
  return "unknown";
}

cudaError_t conv2d(Conv kind, const ConvShape& shape, const float* x, const float* w, float* y, cudaStream_t stream) {
  if (!shape.valid()) return cudaErrorInvalidValue;
  switch (kind) {
    case Conv::direct: return launch_direct(shape, x, w, y, stream);
    case Conv::implicit_gemm: return launch_implicit_gemm(shape, x, w, y, stream);
  }
  return cudaErrorInvalidValue;
}

}  // namespace gpuprobe::kernels
