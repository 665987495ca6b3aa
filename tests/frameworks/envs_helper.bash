# Shared by the frameworks tests: where the real framework environments are, and require_env.

# The folder make-envs.sh filled: $GPUPROBE_FRAMEWORK_ENVS, else the build folder's (ctest sets
# FRAMEWORK_ENVS_DEFAULT).
framework_envs() { echo "${GPUPROBE_FRAMEWORK_ENVS:-${FRAMEWORK_ENVS_DEFAULT:?set GPUPROBE_FRAMEWORK_ENVS}}"; }

# require_env NAME: skips (or with GPUPROBE_REQUIRE_FRAMEWORKS=1 fails) when $ENVS/NAME is not made.
require_env() {
  [[ -f "$ENVS/$1/.complete" ]] && return 0
  local why="framework environment $ENVS/$1 is not made: tests/frameworks/make-envs.sh $ENVS $1"
  [ "${GPUPROBE_REQUIRE_FRAMEWORKS:-0}" = "1" ] && { echo "$why" >&2; return 1; }
  skip "$why (GPUPROBE_REQUIRE_FRAMEWORKS=1 makes this a failure)"
}
