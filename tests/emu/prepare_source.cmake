# Copies a source file for the emulation tests into the build folder (cmake -P, run by
# tests/emu/CMakeLists.txt at build time):
#   cmake -DSRC=kernels/src/conv.cu -DDST=<build>/conv.cpp -DKERNELS=ON -P prepare_source.cmake
# KERNELS=ON: a kernel source. The copy starts with #include "cuda_emu.hpp", and every launch
#   `kernel<<<grid, block, shared, stream>>>(args)` becomes
#   `CUDA_EMU_LAUNCH((grid, block, shared, stream), kernel)(args)`, and every dynamic shared array
#   `extern __shared__ [__align__(N)] T name[];` becomes
#   `T* const name = ::cuda_emu::detail::dynamic_shared<T>([N]);` -- the only changes.
# KERNELS=OFF: a test source, copied as it is, so that its #include "gpu_test_util.hpp" finds
#   tests/emu/gpu_test_util.hpp (a quoted include looks next to the including file first).
# Either way a #line directive keeps the original name and line numbers in diagnostics, debug
# information and sanitizer reports: the rewrite changes no line breaks.
foreach(var SRC DST)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "prepare_source.cmake: -D${var}=... missing")
  endif()
endforeach()

file(READ "${SRC}" text)
set(head "// Generated from ${SRC} by tests/emu/prepare_source.cmake: do not edit.\n")

if(KERNELS)
  string(REGEX MATCHALL "<<<" opens "${text}")
  list(LENGTH opens launches)
  # kernel name (an identifier, possibly qualified, with an optional template argument list
  # without nested <>), then <<<configuration>>>; a launch statement holds no ';' before its end.
  string(REGEX REPLACE "([A-Za-z_][A-Za-z0-9_:]*(<[^<>;]*>)?)<<<([^;]*)>>>" "CUDA_EMU_LAUNCH((\\3), \\1)" text
                       "${text}")
  string(REGEX MATCHALL "CUDA_EMU_LAUNCH\\(\\(" rewritten "${text}")
  list(LENGTH rewritten n)
  string(FIND "${text}" "<<<" left_open)
  string(FIND "${text}" ">>>" left_close)
  if(NOT n EQUAL launches OR NOT left_open EQUAL -1 OR NOT left_close EQUAL -1)
    message(FATAL_ERROR "prepare_source.cmake: ${SRC}: rewrote ${n} of ${launches} launches; a launch this script "
                        "cannot parse? (kernel name with nested <...>, or a ';' inside <<<...>>>)")
  endif()
  # extern __shared__ arrays (one per kernel, unsized), with or without __align__(N) before the type.
  string(REGEX MATCHALL "extern[ \t]+__shared__" externs "${text}")
  list(LENGTH externs shared_arrays)
  set(type "([A-Za-z_][A-Za-z0-9_: ]*[A-Za-z0-9_])")
  set(name "([A-Za-z_][A-Za-z0-9_]*)")
  string(REGEX REPLACE "extern[ \t]+__shared__[ \t]+__align__\\(([0-9]+)\\)[ \t]+${type}[ \t]+${name}[ \t]*\\[[ \t]*\\]"
                       "\\2* const \\3 = ::cuda_emu::detail::dynamic_shared<\\2>(\\1)" text "${text}")
  string(REGEX REPLACE "extern[ \t]+__shared__[ \t]+${type}[ \t]+${name}[ \t]*\\[[ \t]*\\]"
                       "\\1* const \\2 = ::cuda_emu::detail::dynamic_shared<\\1>()" text "${text}")
  string(REGEX MATCHALL "::cuda_emu::detail::dynamic_shared<" rewritten "${text}")
  list(LENGTH rewritten n)
  if(NOT n EQUAL shared_arrays)
    message(FATAL_ERROR "prepare_source.cmake: ${SRC}: rewrote ${n} of ${shared_arrays} extern __shared__ arrays; "
                        "one this script cannot parse? (expected `extern __shared__ [__align__(N)] T name[];`)")
  endif()
  string(APPEND head "#include \"cuda_emu.hpp\"\n")
endif()

file(WRITE "${DST}" "${head}#line 1 \"${SRC}\"\n${text}")
