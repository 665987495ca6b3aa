# Build facts compiled into the binary: version, git revision, CUDA architectures.
# They end up in the report's `software` block, so a report always says what produced it.

# The git revision is written at every build (GpuprobeRevision.cmake), the rest at configure time.
# Targets that include gpuprobe/build_info.hpp depend on gpuprobe_revision.
set(GPUPROBE_REVISION_HEADER "${PROJECT_BINARY_DIR}/generated/gpuprobe/build_revision.hpp")
add_custom_target(gpuprobe_revision
  COMMAND "${CMAKE_COMMAND}" "-DSRC=${PROJECT_SOURCE_DIR}" "-DOUT=${GPUPROBE_REVISION_HEADER}"
          -P "${PROJECT_SOURCE_DIR}/cmake/GpuprobeRevision.cmake"
  BYPRODUCTS "${GPUPROBE_REVISION_HEADER}"
  COMMENT "gpuprobe: git revision"
  VERBATIM)
# Also once now, so that the header exists before the first build.
execute_process(COMMAND "${CMAKE_COMMAND}" "-DSRC=${PROJECT_SOURCE_DIR}" "-DOUT=${GPUPROBE_REVISION_HEADER}"
                -P "${PROJECT_SOURCE_DIR}/cmake/GpuprobeRevision.cmake")

# The architecture list as the probe's arch check reads it: "75-real;90" means SASS for 7.5 and
# SASS+PTX for 9.0. CMake's symbolic values (all, all-major, native) cannot be resolved here: the
# arch check then says it does not know what the binary holds rather than guessing.
string(REPLACE ";" "," GPUPROBE_CUDA_ARCHS_STRING "${CMAKE_CUDA_ARCHITECTURES}")

configure_file("${PROJECT_SOURCE_DIR}/cmake/build_info.hpp.in"
               "${PROJECT_BINARY_DIR}/generated/gpuprobe/build_info.hpp" @ONLY)
