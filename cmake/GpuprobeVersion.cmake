# Build facts compiled into the binary: version, git revision, CUDA architectures.
# They end up in the report's `software` block, so a report always says what produced it.

set(GPUPROBE_GIT_REVISION "unknown")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --short=12 HEAD
                  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
                  OUTPUT_VARIABLE _rev OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _rc ERROR_QUIET)
  if(_rc EQUAL 0 AND _rev)
    set(GPUPROBE_GIT_REVISION "${_rev}")
  endif()
endif()

# The architecture list as the probe's arch check reads it: "75-real;90" means SASS for 7.5 and
# SASS+PTX for 9.0. CMake's symbolic values (all, all-major, native) cannot be resolved here: the
# arch check then says it does not know what the binary holds rather than guessing.
string(REPLACE ";" "," GPUPROBE_CUDA_ARCHS_STRING "${CMAKE_CUDA_ARCHITECTURES}")

configure_file("${PROJECT_SOURCE_DIR}/cmake/build_info.hpp.in"
               "${PROJECT_BINARY_DIR}/generated/gpuprobe/build_info.hpp" @ONLY)
