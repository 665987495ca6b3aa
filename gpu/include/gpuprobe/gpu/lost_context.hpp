// Whether a GPU's CUDA context is lost. After a sticky error (an illegal address, a launch failure,
// an uncorrectable ECC error, ...) every later CUDA call on that GPU fails the same way until the
// process ends: the checks and the benchmarks after the one that lost it say so instead of failing
// each with the same error.
#pragma once

#include <cuda_runtime_api.h>

namespace gpuprobe {

// Asks device `device` with cudaDeviceSynchronize, twice: an asynchronous error that earlier work
// left behind is reported once and then cleared, so only a second failure means a lost context.
// Returns that second error; cudaSuccess when the context works, or when cudaSetDevice itself
// fails (not a lost context: the enumeration of the GPUs says why). Leaves no error behind in the
// runtime's last error of this thread, so the next launch's cudaGetLastError() on a healthy GPU
// does not report this one's.
cudaError_t lost_context_error(int device);

}  // namespace gpuprobe
