// The live half of the frameworks check (probes/src/framework_live.cpp): the subprocess handling
// and the reading of the answer, with stand-in interpreters (small sh scripts, executed as the
// request's python). The captured answers in tests/frameworks/captured are what the embedded
// program printed in make-envs.sh's real environments (no driver, or NVIDIA's R535 libraries):
// the stand-in replays them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "gpuprobe/probes/framework_live.hpp"
#include "test_util.hpp"

namespace gpuprobe {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test_util::contains;
using Outcome = LiveResult::Outcome;

fs::path captured_dir() {
  return fs::path(__FILE__).parent_path().parent_path() / "frameworks" / "captured";
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool any_contains(const std::vector<std::string>& v, const std::string& part) {
  for (const auto& s : v)
    if (contains(s, part)) return true;
  return false;
}

// A temporary folder for the stand-in interpreters and what they write.
class FrameworkLive : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "gpuprobe-live.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // An executable sh script NAME with BODY: the stand-in for a python.
  std::string python(const std::string& name, const std::string& body) {
    auto p = dir_ / name;
    std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(p, fs::perms::owner_all);
    return p.string();
  }
  // A stand-in replaying a captured answer: CASE.stdout on stdout, CASE.stderr on stderr.
  std::string replay(const std::string& c) {
    auto base = fs::absolute(captured_dir() / c).string();
    return python(c, "cat '" + base + ".stdout'; cat '" + base + ".stderr' >&2");
  }
  static LiveResult one(const std::string& framework, const std::string& py,
                        std::chrono::milliseconds bound = 20000ms, SystemView sys = {}) {
    LiveProbes p({{framework, py}}, bound, sys);
    auto r = p.wait();
    EXPECT_EQ(r.size(), 1u);
    return r.at(0);
  }
  // A captured answer of a framework that imported and found no GPU.
  LiveResult answered_without_gpu(const std::string& framework, const std::string& c) {
    auto r = one(framework, replay(c));
    EXPECT_EQ(r.outcome, Outcome::answered);
    EXPECT_EQ(r.gpu_available, false);
    EXPECT_EQ(r.device_count, 0);
    return r;
  }
  fs::path dir_;
};

constexpr const char* kAnswer =
    R"(GPUPROBE-LIVE {"framework": "torch", "outcome": "answered", "version": "9.9", "gpu_available": true, )"
    R"("device_count": 1, "device_names": ["Stand-in GPU"], "matmul_ok": true, "matmul_max_rel_error": 0.0001})";

TEST_F(FrameworkLive, OutcomeNames) {
  EXPECT_STREQ(to_string(Outcome::answered), "answered");
  EXPECT_STREQ(to_string(Outcome::import_failed), "import_failed");
  EXPECT_STREQ(to_string(Outcome::timed_out), "timed_out");
  EXPECT_STREQ(to_string(Outcome::crashed), "crashed");
  EXPECT_STREQ(to_string(Outcome::not_started), "not_started");
}

TEST_F(FrameworkLive, CapturedTorchInstalledWithoutItsDependencies) {
  auto r = one("torch", replay("torch-nodeps"));
  EXPECT_EQ(r.outcome, Outcome::import_failed);
  EXPECT_EQ(r.import_error, "ImportError: libcufile.so.0: cannot open shared object file: No such file or directory");
  EXPECT_EQ(r.version, "");
  EXPECT_FALSE(r.gpu_available.has_value());
  EXPECT_EQ(r.framework, "torch");
  EXPECT_TRUE(contains(r.python, "torch-nodeps"));
}

TEST_F(FrameworkLive, CapturedTorchWithNoDriver) {
  auto r = answered_without_gpu("torch", "torch-nodriver");
  EXPECT_EQ(r.version, "2.15.0+cu132");
  EXPECT_TRUE(r.device_names.empty());
  EXPECT_EQ(r.backend, "cuda");
  EXPECT_EQ(r.arch_list, (std::vector<std::string>{"sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"}));
  EXPECT_TRUE(any_contains(r.warnings, "Failed to initialize NumPy"));  // the wheel does not bring numpy
  EXPECT_FALSE(r.matmul_ok.has_value());
  EXPECT_FALSE(r.matmul_max_rel_error.has_value());
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.stderr_tail, "");
}

TEST_F(FrameworkLive, CapturedTorchWithTheR535Driver) {
  auto r = answered_without_gpu("torch", "torch-r535");
  // The driver's warning first, before the NumPy one torch printed earlier at import.
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_TRUE(contains(r.warnings[0], "The NVIDIA driver on your system is too old (found version 12020)"));
  EXPECT_TRUE(contains(r.warnings[1], "Failed to initialize NumPy"));
}

TEST_F(FrameworkLive, CapturedJaxWithoutCudaPlugin) {
  auto r = answered_without_gpu("jax", "jax-cpu");
  EXPECT_FALSE(r.version.empty());
  EXPECT_EQ(r.backend, "cpu");
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(FrameworkLive, CapturedJaxWithCudaPluginAndNoDriver) {
  auto r = answered_without_gpu("jax", "jax-cuda13-nodriver");
  EXPECT_EQ(r.backend, "cpu");
  EXPECT_TRUE(any_contains(r.warnings, "Exception when calling jax_plugins.xla_cuda13.initialize(): RuntimeError"));
}

TEST_F(FrameworkLive, CapturedJaxWithCudaPluginAndTheR535Driver) {
  auto r = answered_without_gpu("jax", "jax-cuda13-r535");
  EXPECT_EQ(r.backend, "cpu");
  EXPECT_TRUE(any_contains(r.warnings, "operation cuInit(0) failed: CUDA_ERROR_NO_DEVICE"));
  EXPECT_TRUE(any_contains(r.warnings, "An NVIDIA GPU may be present on this machine"));
}

TEST_F(FrameworkLive, CapturedCupyWithNoDriver) {
  auto r = answered_without_gpu("cupy", "cupy-nodriver");
  EXPECT_TRUE(contains(r.error, "CUDARuntimeError: cudaErrorInsufficientDriver"));
}

TEST_F(FrameworkLive, CapturedTensorflowWithoutItsDependenciesKeepsWhatItLoggedOnStderr) {
  auto r = one("tensorflow", replay("tensorflow-nodeps"));
  EXPECT_EQ(r.outcome, Outcome::import_failed);
  EXPECT_TRUE(contains(r.import_error, "ModuleNotFoundError: No module named"));
  EXPECT_TRUE(any_contains(r.warnings, "Could not find cuda drivers on your machine, GPU will not be used."));
}

TEST_F(FrameworkLive, CapturedTensorflowWithNoDriverItsLogLinesOnceEach) {
  auto r = answered_without_gpu("tensorflow", "tensorflow-full-nodriver");
  EXPECT_TRUE(r.version.starts_with("2.")) << r.version;
  // TensorFlow logs its CUDA lines twice, with different times: absl's prefix is dropped, each is kept once.
  EXPECT_EQ(std::count(r.warnings.begin(), r.warnings.end(),
                       "I cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used."), 1);
  EXPECT_TRUE(any_contains(r.warnings, "E cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)"));
}

TEST_F(FrameworkLive, CapturedTensorflowWithTheR535Driver) {
  auto r = answered_without_gpu("tensorflow", "tensorflow-full-r535");
  EXPECT_EQ(r.warnings.front(), "I cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.");
  EXPECT_TRUE(any_contains(r.warnings, "failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: CUDA_ERROR_NO_DEVICE"));
}

TEST_F(FrameworkLive, AnswerAmongStdoutNoise) {
  // Library output before the answer (a partial line too), a marker line that is not JSON, and
  // output after it (C stdio flushed at exit): the last marker line that parses... is the last one.
  auto r = one("torch", python("noisy", std::string("echo 'GPUPROBE-LIVE not json'; echo 'loading...'; printf 'progress 50%%'\n") +
                                            "printf '\\n%s\\n' '" + kAnswer + "'\necho 'at exit'"));
  EXPECT_EQ(r.outcome, Outcome::answered);
  EXPECT_EQ(r.version, "9.9");
  EXPECT_EQ(r.gpu_available, true);
  EXPECT_EQ(r.device_count, 1);
  EXPECT_EQ(r.device_names, std::vector<std::string>{"Stand-in GPU"});
  EXPECT_EQ(r.matmul_ok, true);
  EXPECT_DOUBLE_EQ(r.matmul_max_rel_error.value_or(-1), 0.0001);
}

TEST_F(FrameworkLive, AMarkerLineThatIsNotJsonIsNoAnswer) {
  auto r = one("torch", python("broken", "echo 'GPUPROBE-LIVE {\"outcome\": '"));
  EXPECT_EQ(r.outcome, Outcome::crashed);
  EXPECT_EQ(r.error, "exited with status 0 without an answer");
}

TEST_F(FrameworkLive, WrongTypesInTheAnswerAreIgnored) {
  auto r = one("torch", python("types", R"(echo 'GPUPROBE-LIVE {"version": 3, "gpu_available": "yes", "device_count": -2, "device_names": [1, "a"], "warnings": "x"}')"));
  EXPECT_EQ(r.outcome, Outcome::answered);
  EXPECT_EQ(r.version, "");
  EXPECT_FALSE(r.gpu_available.has_value());
  EXPECT_EQ(r.device_count, 0);
  EXPECT_EQ(r.device_names, std::vector<std::string>{"a"});
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(FrameworkLive, PastTheBoundTheWholeProcessGroupIsKilled) {
  auto pidfile = (dir_ / "sleep.pid").string();
  auto py = python("slow", "echo 'importing' >&2; sleep 30 & echo $! > '" + pidfile + "'; wait");
  auto t0 = std::chrono::steady_clock::now();
  auto r = one("torch", py, 300ms);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.outcome, Outcome::timed_out);
  EXPECT_EQ(r.error, "no answer within 0.3 s: killed");
  EXPECT_GE(r.seconds, 0.3);
  EXPECT_LT(wall, 2.0);
  EXPECT_EQ(r.stderr_tail, "importing\n");
  // The interpreter's own child went with it: gone, or a zombie waiting for init.
  pid_t sleeper = std::stoi(read(pidfile));
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::string stat = read("/proc/" + std::to_string(sleeper) + "/stat");
    gone = stat.empty() || contains(stat, ") Z ");
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone);
}

TEST_F(FrameworkLive, AnInterpreterKilledBySignalCrashed) {
  auto r = one("torch", python("crash", "echo 'Fatal Python error: Segmentation fault' >&2; kill -9 $$"));
  EXPECT_EQ(r.outcome, Outcome::crashed);
  EXPECT_TRUE(r.error.starts_with("killed by signal 9")) << r.error;
  EXPECT_EQ(r.stderr_tail, "Fatal Python error: Segmentation fault\n");
}

TEST_F(FrameworkLive, AnInterpreterExitingWithoutAnAnswerCrashed) {
  auto r = one("torch", python("exit", "echo 'Traceback (most recent call last):' >&2; echo 'SyntaxError: invalid syntax' >&2; exit 1"));
  EXPECT_EQ(r.outcome, Outcome::crashed);
  EXPECT_EQ(r.error, "exited with status 1 without an answer");
  EXPECT_EQ(r.stderr_tail, "Traceback (most recent call last):\nSyntaxError: invalid syntax\n");
}

TEST_F(FrameworkLive, AMissingInterpreterIsNotStarted) {
  auto r = one("torch", (dir_ / "no-such-python").string());
  EXPECT_EQ(r.outcome, Outcome::not_started);
  EXPECT_TRUE(contains(r.error, "No such file or directory")) << r.error;
}

TEST_F(FrameworkLive, TheInterpretersRunAtOnce) {
  std::string body = "sleep 0.5; echo '" + std::string(kAnswer) + "'";
  std::vector<LiveRequest> reqs;
  for (const char* f : {"torch", "jax", "cupy", "tensorflow"}) reqs.push_back({f, python(std::string(f) + ".sh", body)});
  auto t0 = std::chrono::steady_clock::now();
  LiveProbes p(reqs, 20000ms, {});
  auto constructed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto rs = p.wait();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(constructed, 0.4);  // construction only starts them
  EXPECT_LT(wall, 1.5);         // four half-second answers, not two seconds
  ASSERT_EQ(rs.size(), 4u);
  for (std::size_t i = 0; i < rs.size(); ++i) {
    EXPECT_EQ(rs[i].framework, reqs[i].framework);
    EXPECT_EQ(rs[i].outcome, Outcome::answered);
    EXPECT_GE(rs[i].seconds, 0.5);
  }
  auto again = p.wait();  // only the first call waits; the same answers
  EXPECT_EQ(again.size(), 4u);
  EXPECT_EQ(again[3].framework, "tensorflow");
}

TEST_F(FrameworkLive, MuchOutputOnBothPipesDoesNotBlock) {
  // 2 MB on each pipe, far past a pipe's buffer, then the answer.
  auto r = one("torch", python("chatty", "i=0; while [ $i -lt 20000 ]; do echo \"warning: line of stderr output to fill the pipe, $i\"; i=$((i+1)); done >&2 &\n"
                                         "head -c 2000000 /dev/zero | tr '\\0' x; wait; printf '\\n%s\\n' '" + std::string(kAnswer) + "'"));
  EXPECT_EQ(r.outcome, Outcome::answered);
  EXPECT_EQ(r.version, "9.9");
  EXPECT_EQ(r.warnings.size(), 40u);  // stderr lines kept as warnings: at most 40
}

TEST_F(FrameworkLive, TheSubprocessGetsTheCallersEnvironmentAFreshStartAndNothingElse) {
  int leaked = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC
  ASSERT_GE(leaked, 3);
  auto out = (dir_ / "seen").string();
  auto py = python("env", "{ echo \"args=$1|$3\"; echo \"program=$(printf '%s' \"$2\" | grep -c 'GPUPROBE-LIVE')\"\n"
                          "  echo \"ld=$LD_LIBRARY_PATH cvd=$CUDA_VISIBLE_DEVICES pyc=$PYTHONDONTWRITEBYTECODE xla=$XLA_PYTHON_CLIENT_PREALLOCATE\"\n"
                          "  echo \"cwd=$(pwd) stdin=$(readlink /proc/$$/fd/0)\"\n"
                          "  [ -e /proc/$$/fd/" + std::to_string(leaked) + " ] && echo leaked || echo closed\n"
                          "  echo \"pgid_is_pid=$(awk -v p=$$ '{ print ($5 == p) }' /proc/$$/stat)\"; } > '" + out + "'\n"
                          "echo '" + std::string(kAnswer) + "'");
  SystemView sys;
  sys.env = {{"LD_LIBRARY_PATH", "/opt/driver/lib"}, {"CUDA_VISIBLE_DEVICES", "1"}, {"XLA_PYTHON_CLIENT_PREALLOCATE", "true"}};
  auto r = one("jax", py, 20000ms, sys);
  ::close(leaked);
  EXPECT_EQ(r.outcome, Outcome::answered);
  EXPECT_EQ(read(out),
            "args=-c|jax\nprogram=1\n"
            "ld=/opt/driver/lib cvd=1 pyc=1 xla=true\n"  // the user's XLA_PYTHON_CLIENT_PREALLOCATE wins
            "cwd=/ stdin=/dev/null\nclosed\npgid_is_pid=1\n");
}

TEST_F(FrameworkLive, JaxIsToldNotToTakeTheGpusMemory) {
  auto out = (dir_ / "seen").string();
  auto py = python("env", "echo \"xla=$XLA_PYTHON_CLIENT_PREALLOCATE tf=$TF_FORCE_GPU_ALLOW_GROWTH\" > '" + out + "'");
  one("jax", py);
  EXPECT_EQ(read(out), "xla=false tf=\n");
  one("tensorflow", py);
  EXPECT_EQ(read(out), "xla= tf=true\n");
}

TEST_F(FrameworkLive, ACallerIgnoringSigchldStillGetsTheAnswer) {
  // The kernel reaps the children itself then; the answer is read all the same, and the
  // interpreter does not inherit the ignored signal.
  auto out = (dir_ / "seen").string();
  auto py = python("ign", "grep SigIgn /proc/$$/status > '" + out + "'; echo '" + std::string(kAnswer) + "'");
  auto old = ::signal(SIGCHLD, SIG_IGN);
  auto r = one("torch", py);
  ::signal(SIGCHLD, old);
  EXPECT_EQ(r.outcome, Outcome::answered);
  EXPECT_EQ(r.version, "9.9");
  auto seen = read(out);
  ASSERT_TRUE(seen.starts_with("SigIgn:\t")) << seen;
  EXPECT_EQ(std::stoull(seen.substr(8), nullptr, 16) & (1ULL << (SIGCHLD - 1)), 0u) << seen;
}

TEST_F(FrameworkLive, DestroyingKillsWhatStillRuns) {
  auto pidfile = (dir_ / "py.pid").string();
  auto py = python("slow", "echo $$ > '" + pidfile + "'; exec sleep 30");
  auto t0 = std::chrono::steady_clock::now();
  {
    LiveProbes p({{"torch", py}}, 60000ms, {});
    for (int i = 0; i < 200 && read(pidfile).empty(); ++i) std::this_thread::sleep_for(10ms);
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(wall, 3.0);
  pid_t pid = std::stoi(read(pidfile));
  EXPECT_NE(::kill(pid, 0), 0);  // killed and reaped
}

// The embedded program itself, in the machine's /usr/bin/python3, importing a stand-in torch
// package (Python source) from PYTHONPATH or from the user's site-packages: both are searched,
// as they are for the user (the interpreter runs without -E and -s).
class FrameworkLiveProgram : public FrameworkLive {
 protected:
  void SetUp() override {
    FrameworkLive::SetUp();
    if (::access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is not here";
  }
  // A package `torch` whose __init__.py is SOURCE, under DIR/site; the probe's environment.
  SystemView stand_in_torch(const std::string& source) {
    fs::create_directories(dir_ / "site" / "torch");
    std::ofstream(dir_ / "site" / "torch" / "__init__.py") << source;
    SystemView sys;
    sys.env = {{"PYTHONPATH", (dir_ / "site").string()}};
    return sys;
  }
  static constexpr const char* kPython = "/usr/bin/python3";
};

constexpr const char* kStandInTorch = R"(import logging, sys, warnings
print("torch: loading native code")
sys.stdout.flush()
warnings.warn("CUDA initialization: a stand-in warning")
logging.getLogger("torch.cuda").warning("a stand-in log record")
sys.stderr.write("a stand-in line on stderr\n")
__version__ = "0.0+stand.in"
class _C:
    _cuda_getArchFlags = staticmethod(lambda: "sm_80 sm_90")
class version:
    hip = None
class cuda:
    is_available = staticmethod(lambda: AVAILABLE)
    device_count = staticmethod(lambda: 1 if AVAILABLE else 0)
    get_device_name = staticmethod(lambda i: "Stand-in GPU %d" % i)
)";

std::string stand_in_source(bool available) {
  return std::string("AVAILABLE = ") + (available ? "True" : "False") + "\n" + kStandInTorch;
}

TEST_F(FrameworkLiveProgram, AnswersWithWhatTheFrameworkWarnedLoggedAndWroteOnStderr) {
  auto r = one("torch", kPython, 20000ms, stand_in_torch(stand_in_source(false)));
  EXPECT_EQ(r.outcome, Outcome::answered) << r.error << r.stderr_tail;
  EXPECT_EQ(r.version, "0.0+stand.in");
  EXPECT_EQ(r.gpu_available, false);
  EXPECT_EQ(r.device_count, 0);
  EXPECT_EQ(r.backend, "cuda");
  EXPECT_EQ(r.arch_list, (std::vector<std::string>{"sm_80", "sm_90"}));
  EXPECT_EQ(r.warnings, (std::vector<std::string>{"UserWarning: CUDA initialization: a stand-in warning",
                                                  "a stand-in log record", "a stand-in line on stderr"}));
  EXPECT_FALSE(r.matmul_ok.has_value());
  EXPECT_EQ(r.error, "");
}

TEST_F(FrameworkLiveProgram, AFailureAfterTheImportIsTheAnswersError) {
  // A GPU is said to be there; the stand-in has no tensors, so the matmul fails.
  auto r = one("torch", kPython, 20000ms, stand_in_torch(stand_in_source(true)));
  EXPECT_EQ(r.outcome, Outcome::answered);
  EXPECT_EQ(r.gpu_available, true);
  EXPECT_EQ(r.device_count, 1);
  EXPECT_EQ(r.device_names, std::vector<std::string>{"Stand-in GPU 0"});
  EXPECT_TRUE(r.error.starts_with("AttributeError: ")) << r.error;
  EXPECT_FALSE(r.matmul_ok.has_value());
}

TEST_F(FrameworkLiveProgram, FoundInTheUsersSitePackages) {
  auto sys = stand_in_torch(stand_in_source(false));
  sys.env = {{"PYTHONUSERBASE", (dir_ / "userbase").string()}};
  FILE* p = ::popen(("PYTHONUSERBASE='" + (dir_ / "userbase").string() + "' " + kPython +
                     " -c 'import site; print(site.getusersitepackages())'").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096] = {};
  std::string site = ::fgets(buf, sizeof buf, p) ? trim(buf) : "";
  ::pclose(p);
  ASSERT_FALSE(site.empty());
  fs::create_directories(site);
  fs::rename(dir_ / "site" / "torch", fs::path(site) / "torch");
  auto r = one("torch", kPython, 20000ms, sys);
  EXPECT_EQ(r.outcome, Outcome::answered) << r.error << r.stderr_tail;
  EXPECT_EQ(r.version, "0.0+stand.in");
}

TEST_F(FrameworkLiveProgram, AnImportThatRaisesIsImportFailedWithTheTracebacksLastLine) {
  auto r = one("torch", kPython, 20000ms,
               stand_in_torch("raise OSError('libcudart.so.13: cannot open shared object file: No such file or directory')\n"));
  EXPECT_EQ(r.outcome, Outcome::import_failed);
  EXPECT_EQ(r.import_error, "OSError: libcudart.so.13: cannot open shared object file: No such file or directory");
  EXPECT_EQ(r.version, "");
}

TEST_F(FrameworkLiveProgram, ACrashInNativeCodeLeavesThePythonStackInTheStderrTail) {
  auto r = one("torch", kPython, 20000ms, stand_in_torch("import ctypes\nctypes.string_at(0)\n"));
  EXPECT_EQ(r.outcome, Outcome::crashed);
  EXPECT_TRUE(r.error.starts_with("killed by signal 11")) << r.error;
  EXPECT_TRUE(contains(r.stderr_tail, "Fatal Python error: Segmentation fault")) << r.stderr_tail;
  EXPECT_TRUE(contains(r.stderr_tail, "torch/__init__.py")) << r.stderr_tail;
}

TEST_F(FrameworkLiveProgram, AnUnknownFrameworkIsAnError) {
  auto r = one("mxnet", kPython);
  EXPECT_EQ(r.outcome, Outcome::answered);
  EXPECT_EQ(r.error, "ValueError: unknown framework 'mxnet'");
}

}  // namespace
}  // namespace gpuprobe
