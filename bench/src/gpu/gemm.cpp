// GEMM benchmarks: cuBLAS (FP32, TF32, FP16, BF16), cuBLASLt (BF16, FP8) and the hand-written
// kernels of kernels/matmul.hpp. FP32/TF32 GEMMs are column-major "NN" (A m x k, B k x n); the
// 16- and 8-bit ones "TN" (both operands K-major, as FP8 requires and tensor-core kernels prefer).
// Outputs: FP32 for FP32/TF32, the input type for FP16/BF16, BF16 for FP8. Inputs are random
// values exactly representable in their type (kernels/random.hpp), regenerated on the host for
// Freivalds' check of the output of the last timed run.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "device_util.hpp"
#include "gpuprobe/bench/freivalds.hpp"
#include "gpuprobe/gpu/blas_dnn.hpp"
#include "gpuprobe/gpu/seed.hpp"
#include "gpuprobe/kernels/fill.hpp"
#include "gpuprobe/kernels/matmul.hpp"
#include "workloads.hpp"

namespace gpuprobe::bench::gpu {
namespace {

using kernels::Elem;

struct GemmTypes {
  Elem in;
  Elem out;
  bool k_major;  // "TN" layout
};
GemmTypes types_for(Dtype d) {
  switch (d) {
    case Dtype::fp32:
    case Dtype::tf32: return {Elem::f32, Elem::f32, false};
    case Dtype::fp16: return {Elem::f16, Elem::f16, true};
    case Dtype::bf16: return {Elem::bf16, Elem::bf16, true};
    case Dtype::fp8: return {Elem::e4m3, Elem::bf16, true};
  }
  return {Elem::f32, Elem::f32, false};
}

// Buffers, stream, timer and verification shared by every GEMM; subclasses enqueue the GEMM.
class GemmBase : public GemmWorkload {
 public:
  GemmBase(const GpuInfo& gpu, const BenchSpec& spec)
      : spec_(spec), t_(types_for(*spec.dtype)), work_(gpu.l2_cache_bytes) {
    const auto& g = spec.gemm;
    const std::uint64_t a = std::uint64_t(g.m) * g.k, b = std::uint64_t(g.k) * g.n, c = std::uint64_t(g.m) * g.n;
    require_free_memory((a + b) * kernels::elem_size(t_.in) + c * kernels::elem_size(t_.out), spec.name());
    A_ = DeviceBuffer(a * kernels::elem_size(t_.in));
    B_ = DeviceBuffer(b * kernels::elem_size(t_.in));
    C_ = DeviceBuffer(c * kernels::elem_size(t_.out));
    seed_a_ = fresh_seed();
    seed_b_ = fresh_seed();
    GPUPROBE_CUDA_CALL(kernels::fill_random(A_.get(), a, t_.in, seed_a_, stream()));
    GPUPROBE_CUDA_CALL(kernels::fill_random(B_.get(), b, t_.in, seed_b_, stream()));
    GPUPROBE_CUDA_CALL(cudaStreamSynchronize(stream()));
  }

  double run() override {
    return work_.timed_run(C_, [this] { enqueue(); });
  }

  Verification verify() override {
    const auto& g = spec_.gemm;
    const std::size_t M = g.m, N = g.n, K = g.k;
    // Operands as the GPU holds them, in the column-major m x k / k x n form Freivalds reads.
    std::vector<float> a(M * K);
    parallel_for(M * K, [&](std::size_t lo, std::size_t hi) {
      for (std::size_t idx = lo; idx < hi; ++idx) {
        const std::size_t i = idx % M, p = idx / M;
        a[idx] = kernels::random_value(t_.in, seed_a_, t_.k_major ? p + i * K : idx);
      }
    });
    const std::vector<float> b = regenerate(t_.in, seed_b_, K * N);
    const std::vector<float> c = read_back_as_float(C_, t_.out);
    const FreivaldsResult r =
        freivalds_check(g.m, g.n, g.k, a.data(), b.data(), c.data(), precision_for(*spec_.dtype, true), fresh_seed());
    return {r.ok, "Freivalds: " + r.summary()};
  }

  cudaStream_t stream() const override { return work_.stream(); }
  const DeviceBuffer& output() const override { return C_; }

 protected:

  BenchSpec spec_;
  GemmTypes t_;
  TimedWork work_;
  DeviceBuffer A_, B_, C_;
  std::uint64_t seed_a_ = 0, seed_b_ = 0;
};

void require_dtype_hardware(const GpuInfo& gpu, Dtype d, const std::string& what) {
  if (d == Dtype::tf32 || d == Dtype::bf16) require_cc(gpu, 8, 0, what);
  if (d == Dtype::fp8) require_cc(gpu, 8, 9, what);
}

class CublasGemm : public GemmBase {
 public:
  CublasGemm(const GpuInfo& gpu, const BenchSpec& spec) : GemmBase(gpu, spec), cb_(cublas_lib()), h_(cb_.destroy) {
    if (!cb_.probe.usable()) throw Skip("cuBLAS unusable: " + cb_.probe.missing);
    check(cb_.create(h_.out()), "cublasCreate");
    // Without this, cuBLAS would run on the legacy default stream, which the timer's events on the
    // non-blocking benchmark stream do not order against: the times would be meaningless.
    check(cb_.set_stream(h_.get(), stream()), "cublasSetStream");
    if (reduce_in_compute_type())
      check(cb_.set_math_mode(h_.get(), kCublasNoReducedPrecisionReduction), "cublasSetMathMode");
  }
  nlohmann::json details() const override {
    nlohmann::json d = {{"library", "cuBLAS " + cb_.probe.version}};
    if (reduce_in_compute_type())
      d["math_mode"] = "CUBLAS_DEFAULT_MATH | CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION (split-K sums in FP32)";
    return d;
  }

 protected:
  void enqueue() override {
    const auto& g = spec_.gemm;
    const float one = 1.0f, zero = 0.0f;
    cublasStatus_t st;
    switch (*spec_.dtype) {
      case Dtype::fp32:
        st = cb_.sgemm(h_.get(), CUBLAS_OP_N, CUBLAS_OP_N, g.m, g.n, g.k, &one, A_.as<float>(), g.m, B_.as<float>(), g.k,
                       &zero, C_.as<float>(), g.m);
        break;
      case Dtype::tf32:
        st = cb_.gemm_ex(h_.get(), CUBLAS_OP_N, CUBLAS_OP_N, g.m, g.n, g.k, &one, A_.get(), CUDA_R_32F, g.m, B_.get(),
                         CUDA_R_32F, g.k, &zero, C_.get(), CUDA_R_32F, g.m, CUBLAS_COMPUTE_32F_FAST_TF32,
                         CUBLAS_GEMM_DEFAULT);
        break;
      case Dtype::fp16:
      case Dtype::bf16: {
        const cudaDataType t = *spec_.dtype == Dtype::fp16 ? CUDA_R_16F : CUDA_R_16BF;
        st = cb_.gemm_ex(h_.get(), CUBLAS_OP_T, CUBLAS_OP_N, g.m, g.n, g.k, &one, A_.get(), t, g.k, B_.get(), t, g.k,
                         &zero, C_.get(), t, g.m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
        break;
      }
      default: throw Skip("cuBLAS benchmarks cover FP32, TF32, FP16 and BF16; FP8 runs through cuBLASLt");
    }
    if (st != CUBLAS_STATUS_SUCCESS) throw std::runtime_error("cuBLAS GEMM: " + cb_.status(st));
  }

 private:
  // A 16-bit output: split-K partial sums must not be rounded to it (the Freivalds tolerance allows
  // one rounding of each output). FP32 outputs already reduce in FP32.
  bool reduce_in_compute_type() const { return t_.out != Elem::f32; }
  void check(cublasStatus_t st, const char* what) const {
    if (st != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": " + cb_.status(st));
  }
  const Cublas& cb_;
  CublasHandle h_;  // cublasDestroy before GemmBase's buffers and stream go
};

class CublasLtGemm : public GemmBase {
 public:
  CublasLtGemm(const GpuInfo& gpu, const BenchSpec& spec)
      : GemmBase(gpu, spec), lt_(cublaslt_lib()), h_(lt_.destroy), op_(lt_.desc_destroy), a_(lt_.layout_destroy),
        b_(lt_.layout_destroy), c_(lt_.layout_destroy), pref_(lt_.pref_destroy) {
    // Every handle and descriptor is owned by a member: a Skip or error below frees them.
    if (!lt_.probe.usable()) throw Skip("cuBLASLt unusable: " + lt_.probe.missing);
    const auto& g = spec.gemm;
    check(lt_.create(h_.out()), "cublasLtCreate");
    const cudaDataType in = t_.in == Elem::e4m3 ? CUDA_R_8F_E4M3 : t_.in == Elem::f16 ? CUDA_R_16F : CUDA_R_16BF;
    const cudaDataType out = t_.out == Elem::f16 ? CUDA_R_16F : CUDA_R_16BF;
    check(lt_.desc_create(op_.out(), CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate");
    const cublasOperation_t ta = CUBLAS_OP_T, tb = CUBLAS_OP_N;
    check(lt_.desc_set(op_.get(), CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta), "TRANSA");
    check(lt_.desc_set(op_.get(), CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb), "TRANSB");
    check(lt_.layout_create(a_.out(), in, g.k, g.m, g.k), "layout A");
    check(lt_.layout_create(b_.out(), in, g.k, g.n, g.k), "layout B");
    check(lt_.layout_create(c_.out(), out, g.m, g.n, g.m), "layout C");
    check(lt_.pref_create(pref_.out()), "cublasLtMatmulPreferenceCreate");
    workspace_ = DeviceBuffer(kWorkspace);
    const std::uint64_t ws = kWorkspace;
    check(lt_.pref_set(pref_.get(), CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws), "workspace preference");
    // The output is 16-bit: no split-K reduction in the output type (see kCublasLtReductionSchemeMask).
    const std::uint32_t reduction = kCublasLtReductionSchemeMask;
    check(lt_.pref_set(pref_.get(), CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, &reduction, sizeof reduction),
          "reduction scheme preference");
    int returned = 0;
    const cublasStatus_t st =
        lt_.heuristic(h_.get(), op_.get(), a_.get(), b_.get(), c_.get(), c_.get(), pref_.get(), 1, &algo_, &returned);
    // The result's other fields are valid only when its own state is SUCCESS.
    const cublasStatus_t bad = st != CUBLAS_STATUS_SUCCESS ? st : returned > 0 ? algo_.state : CUBLAS_STATUS_SUCCESS;
    if (bad != CUBLAS_STATUS_SUCCESS || returned == 0)
      throw Skip("cuBLASLt offers no algorithm for " + std::string(to_string(*spec.dtype)) + " " + std::to_string(g.m) +
                 "x" + std::to_string(g.n) + "x" + std::to_string(g.k) +
                 " on this GPU (split-K reductions restricted to FP32)" +
                 (bad != CUBLAS_STATUS_SUCCESS ? ": " + lt_.status(bad) : std::string()));
  }
  nlohmann::json details() const override {
    return {{"library", "cuBLASLt " + lt_.probe.version},
            {"workspace_bytes", algo_.workspaceSize},
            {"reduction_scheme_mask", "CUBLASLT_REDUCTION_SCHEME_NONE | CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE "
                                      "(split-K sums in FP32)"}};
  }

 protected:
  void enqueue() override {
    const float one = 1.0f, zero = 0.0f;
    const cublasStatus_t st = lt_.matmul(h_.get(), op_.get(), &one, A_.get(), a_.get(), B_.get(), b_.get(), &zero,
                                         C_.get(), c_.get(), C_.get(), c_.get(), &algo_.algo, workspace_.get(),
                                         kWorkspace, stream());
    if (st != CUBLAS_STATUS_SUCCESS) throw std::runtime_error("cublasLtMatmul: " + lt_.status(st));
  }

 private:
  static constexpr std::size_t kWorkspace = 32u << 20;
  void check(cublasStatus_t st, const char* what) const {
    if (st != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": " + lt_.status(st));
  }
  const CublasLt& lt_;
  DeviceBuffer workspace_;  // declared before the handle: freed after cublasLtDestroy
  // Destroyed in reverse order: preference, layouts, operation descriptor, then the handle.
  CublasLtHandle h_;
  CublasLtMatmulDesc op_;
  CublasLtLayout a_, b_, c_;
  CublasLtPreference pref_;
  cublasLtMatmulHeuristicResult_t algo_{};
};

class HandSgemm : public GemmBase {
 public:
  HandSgemm(const GpuInfo& gpu, const BenchSpec& spec, kernels::Sgemm kind) : GemmBase(gpu, spec), kind_(kind) {}

 protected:
  void enqueue() override {
    const auto& g = spec_.gemm;
    GPUPROBE_CUDA_CALL(kernels::sgemm(kind_, g.m, g.n, g.k, A_.as<float>(), B_.as<float>(), C_.as<float>(), stream()));
  }

 private:
  kernels::Sgemm kind_;
};

// mma.sync (tc_gemm) or wgmma (wgmma_gemm): same operation, same layout.
class HandTensorCore : public GemmBase {
 public:
  HandTensorCore(const GpuInfo& gpu, const BenchSpec& spec, bool wgmma) : GemmBase(gpu, spec), wgmma_(wgmma) {}

 protected:
  void enqueue() override {
    const auto& g = spec_.gemm;
    const auto t = *spec_.dtype == Dtype::fp16 ? kernels::Half::fp16 : kernels::Half::bf16;
    GPUPROBE_CUDA_CALL(wgmma_ ? kernels::wgmma_gemm(t, g.m, g.n, g.k, A_.get(), B_.get(), C_.get(), stream())
                              : kernels::tc_gemm(t, g.m, g.n, g.k, A_.get(), B_.get(), C_.get(), stream()));
  }

 private:
  bool wgmma_;
};

}  // namespace

std::unique_ptr<GemmWorkload> make_gemm(const GpuInfo& gpu, const BenchSpec& spec) {
  if (!spec.dtype) throw Skip("a GEMM benchmark without a dtype");
  require_dtype_hardware(gpu, *spec.dtype, spec.name());
  if (spec.impl == "cublas") return std::make_unique<CublasGemm>(gpu, spec);
  if (spec.impl == "cublaslt") {
    // A shape cuBLASLt's FP8 kernels cannot take: say so before allocating anything.
    if (*spec.dtype == Dtype::fp8)
      if (const std::string why = cublaslt_fp8_shape_problem(spec.gemm.m, spec.gemm.n, spec.gemm.k); !why.empty())
        throw Skip(why);
    return std::make_unique<CublasLtGemm>(gpu, spec);
  }
  if (spec.impl == "mma_sync") {
    require_cc(gpu, 8, 0, spec.name() + " (mma.sync m16n8k16)");
    return std::make_unique<HandTensorCore>(gpu, spec, false);
  }
  if (spec.impl == "wgmma") {
    if (!kernels::wgmma_gemm_supported(gpu.cc_major, gpu.cc_minor))
      throw Skip(spec.name() + " (wgmma) runs on compute capability 9.0 only (H100, H200, GH200); " + gpu.name +
                 " is " + std::to_string(gpu.cc_major) + "." + std::to_string(gpu.cc_minor));
    if (!kernels::wgmma_gemm_built())
      throw Skip(spec.name() + ": this gpuprobe was built without sm_90a code (configure with 90 in "
                 "CMAKE_CUDA_ARCHITECTURES, or -DGPUPROBE_WGMMA=ON)");
    return std::make_unique<HandTensorCore>(gpu, spec, true);
  }
  for (kernels::Sgemm k : kernels::kSgemmKernels)
    if (spec.impl == kernels::to_string(k)) return std::make_unique<HandSgemm>(gpu, spec, k);
  return nullptr;
}

void require_cc(const GpuInfo& gpu, int major, int minor, const std::string& what) {
  if (gpu.cc_major < major || (gpu.cc_major == major && gpu.cc_minor < minor))
    throw Skip(what + " needs compute capability " + std::to_string(major) + "." + std::to_string(minor) +
               " or newer; " + gpu.name + " is " + std::to_string(gpu.cc_major) + "." + std::to_string(gpu.cc_minor));
}

}  // namespace gpuprobe::bench::gpu
