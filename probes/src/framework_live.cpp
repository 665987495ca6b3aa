#include "gpuprobe/probes/framework_live.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace gpuprobe {
namespace {

using Clock = std::chrono::steady_clock;

// The answer's line on stdout: the marker, then one JSON object. Whatever a library prints on
// stdout before or after it is ignored.
constexpr std::string_view kMarker = "GPUPROBE-LIVE ";

// The program each interpreter runs (`python -c PROGRAM FRAMEWORK`): it imports the framework,
// asks what a notebook would ask, and prints the answer as the marker line, then leaves with
// os._exit so that no teardown (CUDA contexts, atexit hooks) can crash or stall after it.
// Whatever is raised becomes part of the answer: importing the framework failed (import_error,
// the traceback's last line) or something after it did (error). Warnings (the warnings module)
// and log records at WARNING and above (logging: JAX's "CUDA backend failed to initialize") are
// kept in the answer; what the libraries write to stderr themselves is read by the caller.
// Python 3.8 or newer; numpy only where the framework needs it anyway (torch does not).
constexpr const char* kProgram = R"PY(
import json, logging, os, sys, traceback, warnings
try:  # a crash in the framework's native code prints the Python stack on stderr
    import faulthandler
    faulthandler.enable()
except Exception:
    pass
name = sys.argv[1] if len(sys.argv) > 1 else ""
out = {"framework": name, "outcome": "answered", "version": "", "import_error": "",
       "gpu_available": None, "device_count": 0, "device_names": [], "arch_list": [],
       "backend": "", "warnings": [], "matmul_ok": None, "matmul_max_rel_error": None,
       "matmul_tolerance": None, "error": ""}
N = 256
# The GPU's float32 matmul may run in TF32 (torch allow_tf32, JAX's default precision, TensorFlow):
# inputs rounded to a 10-bit mantissa, at worst truncated (relative error 2**-10 each), the sum of
# N products in float32. Errors are taken relative to sum_k |a_ik| |b_kj|, which bounds them
# whatever the cancellation: 2 * 2**-10 for the product of two rounded inputs, N * 2**-24 for the
# accumulation. A wrong result is off by order 1.
TOL = 2 * 2.0 ** -10 + N * 2.0 ** -24

def last_line(e):
    lines = traceback.format_exception_only(type(e), e)
    return lines[-1].strip() if lines else type(e).__name__

class Keep(logging.Handler):
    def emit(self, record):
        try:
            msg = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                msg += ": " + last_line(record.exc_info[1])
            out["warnings"].append(msg)
        except Exception:
            pass

def finish(worst):
    # worst: the largest error of the GPU's result, relative as TOL is.
    out["matmul_tolerance"] = TOL
    if worst == worst and worst != float("inf"):
        out["matmul_max_rel_error"] = worst
        out["matmul_ok"] = worst <= TOL
    else:
        out["matmul_ok"] = False
        out["error"] = "the GPU's matmul returned NaN or infinity"

def np_inputs(np):
    rng = np.random.default_rng(1234)
    a = rng.uniform(-1, 1, (N, N)).astype(np.float32)
    b = rng.uniform(-1, 1, (N, N)).astype(np.float32)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    scale = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    return a, b, ref, scale

def np_compare(np, gpu, ref, scale):
    err = np.abs(np.asarray(gpu, dtype=np.float64) - ref) / scale
    finish(float(np.max(err)) if np.all(np.isfinite(err)) else float("inf"))

def run_torch():
    import torch
    out["version"] = str(torch.__version__)
    out["backend"] = "cuda" if getattr(torch.version, "hip", None) is None else "rocm"
    flags = getattr(torch._C, "_cuda_getArchFlags", None)
    arch = flags() if flags else None
    out["arch_list"] = arch.split() if arch else []
    ok = bool(torch.cuda.is_available())
    out["gpu_available"] = ok
    out["device_count"] = int(torch.cuda.device_count()) if ok else 0
    out["device_names"] = [torch.cuda.get_device_name(i) for i in range(out["device_count"])]
    if not ok:
        return
    g = torch.Generator().manual_seed(1234)
    a = torch.rand(N, N, generator=g) * 2 - 1
    b = torch.rand(N, N, generator=g) * 2 - 1
    ref = a.double() @ b.double()
    scale = a.double().abs() @ b.double().abs()
    c = (a.to("cuda:0") @ b.to("cuda:0")).cpu().double()
    finish(float(((c - ref).abs() / scale).max().item()))

def run_jax():
    import jax
    out["version"] = str(jax.__version__)
    out["backend"] = str(jax.default_backend())
    try:
        gpus = jax.devices("gpu")
    except RuntimeError:
        gpus = []
    out["gpu_available"] = len(gpus) > 0
    out["device_count"] = len(gpus)
    out["device_names"] = [str(getattr(d, "device_kind", d)) for d in gpus]
    if not gpus:
        return
    import numpy as np
    import jax.numpy as jnp
    a, b, ref, scale = np_inputs(np)
    c = jnp.matmul(jax.device_put(a, gpus[0]), jax.device_put(b, gpus[0]))
    np_compare(np, np.asarray(c), ref, scale)

def run_cupy():
    import cupy
    out["version"] = str(cupy.__version__)
    try:
        n = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as e:  # CUDARuntimeError without a driver: that is the answer
        out["gpu_available"] = False
        out["error"] = last_line(e)
        return
    out["gpu_available"] = n > 0
    out["device_count"] = n
    names = []
    for i in range(n):
        v = cupy.cuda.runtime.getDeviceProperties(i)["name"]
        names.append(v.decode() if isinstance(v, bytes) else str(v))
    out["device_names"] = names
    if n == 0:
        return
    import numpy as np
    a, b, ref, scale = np_inputs(np)
    with cupy.cuda.Device(0):
        c = cupy.asnumpy(cupy.asarray(a) @ cupy.asarray(b))
    np_compare(np, c, ref, scale)

def run_tensorflow():
    import tensorflow as tf
    out["version"] = str(tf.__version__)
    gpus = tf.config.list_physical_devices("GPU")
    out["gpu_available"] = len(gpus) > 0
    out["device_count"] = len(gpus)
    names = []
    for d in gpus:
        try:
            names.append(str(tf.config.experimental.get_device_details(d).get("device_name", d.name)))
        except Exception:
            names.append(str(d.name))
    out["device_names"] = names
    if not gpus:
        return
    import numpy as np
    a, b, ref, scale = np_inputs(np)
    with tf.device("/GPU:0"):
        c = tf.linalg.matmul(tf.constant(a), tf.constant(b))
    np_compare(np, c.numpy(), ref, scale)

RUN = {"torch": run_torch, "jax": run_jax, "cupy": run_cupy, "tensorflow": run_tensorflow}
logging.getLogger().addHandler(Keep(logging.WARNING))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        if name not in RUN:
            raise ValueError("unknown framework %r" % name)
        RUN[name]()
    except BaseException as e:  # the answer, whatever was raised
        if out["version"] or name not in RUN:  # after the import: numpy missing, the matmul, ...
            out["error"] = last_line(e)
        else:
            out["outcome"] = "import_failed"
            out["import_error"] = last_line(e)
    for w in caught:
        out["warnings"].append("%s: %s" % (w.category.__name__, w.message))
sys.stdout.write("\nGPUPROBE-LIVE " + json.dumps(out) + "\n")
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
)PY";

// Environment each framework's subprocess gets on top of the caller's. A variable the user set
// wins: the probe answers for the environment the user's notebook gets.
//   all:        PYTHONDONTWRITEBYTECODE=1: a check writes nothing into the user's environments.
//   jax:        XLA_PYTHON_CLIENT_PREALLOCATE=false: JAX takes 75% of the GPU's memory on first
//               use otherwise, beside gpuprobe's own memory checks.
//   tensorflow: TF_FORCE_GPU_ALLOW_GROWTH=true: the same for TensorFlow, which takes it all.
// TF_CPP_MIN_LOG_LEVEL is left alone: TensorFlow says "Could not find cuda drivers on your
// machine, GPU will not be used" at its INFO level, which level 1 would hide.
std::vector<std::pair<std::string, std::string>> extra_env(const std::string& framework) {
  std::vector<std::pair<std::string, std::string>> e{{"PYTHONDONTWRITEBYTECODE", "1"}};
  if (framework == "jax") e.emplace_back("XLA_PYTHON_CLIENT_PREALLOCATE", "false");
  if (framework == "tensorflow") e.emplace_back("TF_FORCE_GPU_ALLOW_GROWTH", "true");
  return e;
}

constexpr std::size_t kStdoutKeep = 1 << 20;  // the tail of stdout kept: the answer is at its end
constexpr std::size_t kStderrKeep = 64 << 10;
constexpr std::size_t kWarningsMax = 40;      // stderr lines taken as warnings, at most
constexpr std::size_t kLineMax = 2000;        // characters of one warning kept
constexpr std::size_t kTailLines = 20;        // stderr_tail: its last lines
// After the interpreter exits, how long its pipes may stay open (a descendant that left its
// process group still holds them) before they are closed unread.
constexpr auto kDrainGrace = std::chrono::milliseconds(200);
// After SIGKILL, how long to wait for the process to go (one stuck in the kernel may not).
constexpr auto kReapGrace = std::chrono::milliseconds(1000);

struct Child {
  LiveRequest req;
  pid_t pid = -1;
  int out = -1, err = -1;  // read ends, non-blocking
  std::string out_buf, err_buf;
  Clock::time_point start, deadline;
  std::optional<Clock::time_point> exited_at, killed_at;
  bool reaped = false, timed_out = false;
  int status = 0;             // waitpid's, once reaped
  std::string spawn_error;    // set: never started
  double seconds = 0;
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Appends what is readable on fd to buf (keeping its last `keep` bytes); false at EOF or error.
bool drain(int fd, std::string& buf, std::size_t keep) {
  char chunk[16384];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      buf.append(chunk, static_cast<std::size_t>(n));
      if (buf.size() > 2 * keep) buf.erase(0, buf.size() - keep);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;  // EOF, or an error: nothing more will come
  }
}

void keep_tail(std::string& buf, std::size_t keep) {
  if (buf.size() > keep) buf.erase(0, buf.size() - keep);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

void start(Child& c, const SystemView& sys) {
  c.start = Clock::now();
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    c.spawn_error = std::string("pipe: ") + std::strerror(errno);
    for (int fd : {out[0], out[1], err[0], err[1]})
      if (fd >= 0) ::close(fd);
    return;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  // From "/": `python -c` puts the working directory first on sys.path, and a folder named
  // torch/ there (a source checkout) would be imported instead of the installed framework.
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
  posix_spawn_file_actions_addchdir_np(&fa, "/");
#endif
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Every other descriptor closed, also those a library opened without O_CLOEXEC.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);  // a process group of its own: killed as one past the bound
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::map<std::string, std::string> env = sys.env;
  for (auto& [k, v] : extra_env(c.req.framework)) env.emplace(k, v);
  std::vector<std::string> env_strings;
  for (auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  // `python -c PROGRAM FRAMEWORK`, without -I, -s or -E: the framework may live in the user's
  // site-packages (pip install --user) or on PYTHONPATH, and the answer is the one the user's own
  // `python` gives.
  std::string flag = "-c", program = kProgram, framework = c.req.framework, python = c.req.python;
  std::vector<char*> argv{python.data(), flag.data(), program.data(), framework.data(), nullptr};

  int rc = ::posix_spawn(&c.pid, python.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    c.pid = -1;
    c.spawn_error = "cannot start " + c.req.python + ": " + std::strerror(rc);
    ::close(out[0]);
    ::close(err[0]);
    return;
  }
  c.out = out[0];
  c.err = err[0];
  ::fcntl(c.out, F_SETFL, ::fcntl(c.out, F_GETFL) | O_NONBLOCK);
  ::fcntl(c.err, F_SETFL, ::fcntl(c.err, F_GETFL) | O_NONBLOCK);
}

bool finished(const Child& c) {
  if (!c.spawn_error.empty()) return true;
  bool pipes_closed = c.out < 0 && c.err < 0;
  if (c.killed_at) return pipes_closed && (c.reaped || Clock::now() - *c.killed_at >= kReapGrace);
  return pipes_closed && c.reaped;
}

// One pass over a child that is not finished: reads, notices its exit, enforces the bound.
void step(Child& c, bool stopping) {
  auto now = Clock::now();
  if (!c.reaped && !c.killed_at && !c.exited_at) {
    // Exited? Asked without reaping it, so that its process group cannot be reused before the
    // descendants still in it are killed.
    siginfo_t info{};
    int rc = ::waitid(P_PID, static_cast<id_t>(c.pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc == 0 && info.si_pid == c.pid) {
      c.exited_at = now;
      c.seconds = std::chrono::duration<double>(now - c.start).count();
      ::kill(-c.pid, SIGKILL);
    } else if (rc != 0 && errno == ECHILD) {  // reaped already (SIGCHLD ignored): status unknown
      c.exited_at = now;
      c.seconds = std::chrono::duration<double>(now - c.start).count();
      c.reaped = true;
    } else if (now >= c.deadline || stopping) {
      c.timed_out = !stopping;
      c.killed_at = now;
      c.seconds = std::chrono::duration<double>(now - c.start).count();
      ::kill(-c.pid, SIGKILL);
    }
  }
  if (!c.reaped && (c.exited_at || c.killed_at)) {
    int st = 0;
    pid_t r = ::waitpid(c.pid, &st, WNOHANG);
    if (r == c.pid) {
      c.reaped = true;
      c.status = st;
    } else if (r < 0 && errno == ECHILD) {
      c.reaped = true;  // reaped elsewhere (SIGCHLD ignored): the status is unknown
      c.status = 0;
    }
  }
  // Pipes: closed once at EOF, or once the process is gone and the grace has passed.
  auto since = c.exited_at ? c.exited_at : c.killed_at;
  bool give_up = since && now - *since >= kDrainGrace;
  if (c.out >= 0 && (!drain(c.out, c.out_buf, kStdoutKeep) || give_up)) close_fd(c.out);
  if (c.err >= 0 && (!drain(c.err, c.err_buf, kStderrKeep) || give_up)) close_fd(c.err);
}

std::string signal_name(int sig) {
  const char* d = ::strsignal(sig);
  return std::to_string(sig) + (d ? std::string(" (") + d + ")" : "");
}

std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}
std::vector<std::string> strings(const nlohmann::json& j, const char* key) {
  std::vector<std::string> v;
  auto it = j.find(key);
  if (it != j.end() && it->is_array())
    for (auto& e : *it)
      if (e.is_string()) v.push_back(e.get<std::string>());
  return v;
}
std::optional<bool> boolean(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? std::optional<bool>(it->get<bool>()) : std::nullopt;
}

// The JSON of the last marker line on stdout; null where there is none or it does not parse.
nlohmann::json answer_of(const std::string& out) {
  auto lines = lines_of(out);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (it->rfind(kMarker, 0) != 0) continue;
    auto j = nlohmann::json::parse(it->substr(kMarker.size()), nullptr, false);
    return j.is_object() ? j : nlohmann::json();
  }
  return nlohmann::json();
}

std::string stderr_tail(const std::string& err) {
  auto lines = lines_of(err);
  while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
  std::size_t from = lines.size() > kTailLines ? lines.size() - kTailLines : 0;
  std::string tail;
  for (std::size_t i = from; i < lines.size(); ++i) tail += lines[i].substr(0, kLineMax) + "\n";
  return tail;
}

// A line of stderr as a warning: the prefix of an absl/glog log line (TensorFlow's and XLA's C++
// logging: "E0000 00:00:1796637496.666678   25297 cuda_platform.cc:52] ...") shortened to its
// severity ("E cuda_platform.cc:52] ..."), so that the same message logged twice is kept once.
std::string warning_of_stderr_line(const std::string& line) {
  static const std::regex glog(R"(^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ (\S+:\d+\] .*)$)");
  std::smatch m;
  if (line.size() <= kLineMax && std::regex_match(line, m, glog)) return m[1].str() + " " + m[2].str();
  return line;
}

bool about_the_gpu(const std::string& warning) {
  std::string w = warning;
  std::transform(w.begin(), w.end(), w.begin(), [](unsigned char ch) { return std::tolower(ch); });
  for (const char* word : {"cuda", "gpu", "nvidia", "driver", "cuinit", "rocm"})
    if (w.find(word) != std::string::npos) return true;
  return false;
}

LiveResult result_of(Child& c, std::chrono::milliseconds bound) {
  LiveResult r;
  r.framework = c.req.framework;
  r.python = c.req.python;
  r.seconds = c.seconds;
  if (!c.spawn_error.empty()) {
    r.outcome = LiveResult::Outcome::not_started;
    r.error = c.spawn_error;
    return r;
  }
  keep_tail(c.out_buf, kStdoutKeep);
  keep_tail(c.err_buf, kStderrKeep);
  if (c.killed_at) {
    r.outcome = LiveResult::Outcome::timed_out;
    std::ostringstream s;
    s << "no answer within " << bound.count() / 1000.0 << " s: killed";
    r.error = c.timed_out ? s.str() : "stopped before it answered: killed";
    r.stderr_tail = stderr_tail(c.err_buf);
    return r;
  }
  auto j = answer_of(c.out_buf);
  if (j.is_null()) {
    r.outcome = LiveResult::Outcome::crashed;
    if (WIFSIGNALED(c.status))
      r.error = "killed by signal " + signal_name(WTERMSIG(c.status)) + " before it answered";
    else
      r.error = "exited with status " + std::to_string(WEXITSTATUS(c.status)) + " without an answer";
    r.stderr_tail = stderr_tail(c.err_buf);
    return r;
  }
  r.outcome = str(j, "outcome") == "import_failed" ? LiveResult::Outcome::import_failed
                                                    : LiveResult::Outcome::answered;
  r.version = str(j, "version");
  r.import_error = str(j, "import_error");
  r.gpu_available = boolean(j, "gpu_available");
  r.backend = str(j, "backend");
  if (auto it = j.find("device_count"); it != j.end() && it->is_number_integer())
    r.device_count = std::max(0, it->get<int>());
  r.device_names = strings(j, "device_names");
  r.arch_list = strings(j, "arch_list");
  r.matmul_ok = boolean(j, "matmul_ok");
  if (auto it = j.find("matmul_max_rel_error"); it != j.end() && it->is_number())
    r.matmul_max_rel_error = it->get<double>();
  r.error = str(j, "error");
  // Warnings: what Python's warnings and logging caught, then what the libraries wrote to
  // stderr themselves (torch's C++ warnings, TensorFlow's log lines), each line once.
  std::set<std::string> seen;
  auto add = [&](std::string w) {
    w = trim(w);
    if (w.empty() || r.warnings.size() >= kWarningsMax || !seen.insert(w).second) return;
    if (w.size() > kLineMax) w = w.substr(0, kLineMax) + "...";
    r.warnings.push_back(w);
  };
  for (auto& w : strings(j, "warnings")) add(w);
  for (auto& line : lines_of(c.err_buf)) add(warning_of_stderr_line(line));
  // Those about CUDA, the GPU or its driver first, in their order: they are what explains the
  // answer (torch warns about NumPy at import, TensorFlow about its CPU instructions).
  std::stable_partition(r.warnings.begin(), r.warnings.end(), about_the_gpu);
  return r;
}

}  // namespace

const char* to_string(LiveResult::Outcome o) {
  switch (o) {
    case LiveResult::Outcome::answered: return "answered";
    case LiveResult::Outcome::import_failed: return "import_failed";
    case LiveResult::Outcome::timed_out: return "timed_out";
    case LiveResult::Outcome::crashed: return "crashed";
    case LiveResult::Outcome::not_started: return "not_started";
  }
  return "unknown";
}

struct LiveProbes::Impl {
  std::vector<Child> children;
  std::chrono::milliseconds bound{0};
  std::thread watcher;
  std::atomic<bool> stop{false};
  int wake[2] = {-1, -1};  // the destructor writes here to end the watcher's poll at once
  std::optional<std::vector<LiveResult>> results;

  // Reads every child's pipes until each has answered, died or run past its bound.
  void watch() {
    std::vector<pollfd> fds;
    for (;;) {
      bool stopping = stop.load();
      bool all_done = true;
      for (auto& c : children) {
        if (finished(c)) continue;
        step(c, stopping);
        all_done = all_done && finished(c);
      }
      if (all_done) return;
      // Sleep until output, the nearest deadline, or a short while where an exit is pending
      // (an exit shows on no descriptor of ours once the pipes are closed).
      auto now = Clock::now();
      auto wait = std::chrono::milliseconds(1000);
      fds.clear();
      fds.push_back({wake[0], POLLIN, 0});
      for (auto& c : children) {
        if (finished(c)) continue;
        for (int fd : {c.out, c.err})
          if (fd >= 0) fds.push_back({fd, POLLIN, 0});
        if (c.exited_at || c.killed_at || (c.out < 0 && c.err < 0))
          wait = std::min(wait, std::chrono::milliseconds(10));
        else
          wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(c.deadline - now));
      }
      wait = std::max(wait, std::chrono::milliseconds(0));
      ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
      char b[64];
      while (wake[0] >= 0 && ::read(wake[0], b, sizeof b) > 0) {
      }
    }
  }
};

LiveProbes::LiveProbes(std::vector<LiveRequest> requests, std::chrono::milliseconds bound, const SystemView& sys)
    : impl_(std::make_unique<Impl>()) {
  impl_->bound = bound;
  if (::pipe2(impl_->wake, O_CLOEXEC | O_NONBLOCK) != 0) impl_->wake[0] = impl_->wake[1] = -1;
  impl_->children.resize(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    Child& c = impl_->children[i];
    c.req = std::move(requests[i]);
    start(c, sys);
    c.deadline = c.start + bound;
  }
  impl_->watcher = std::thread([impl = impl_.get()] { impl->watch(); });
}

LiveProbes::~LiveProbes() {
  if (!impl_) return;
  impl_->stop = true;
  if (impl_->wake[1] >= 0) {
    char b = 1;
    (void)!::write(impl_->wake[1], &b, 1);
  }
  if (impl_->watcher.joinable()) impl_->watcher.join();
  for (auto& c : impl_->children) {
    close_fd(c.out);
    close_fd(c.err);
  }
  close_fd(impl_->wake[0]);
  close_fd(impl_->wake[1]);
}

std::vector<LiveResult> LiveProbes::wait() {
  if (!impl_->results) {
    if (impl_->watcher.joinable()) impl_->watcher.join();
    std::vector<LiveResult> r;
    for (auto& c : impl_->children) r.push_back(result_of(c, impl_->bound));
    impl_->results = std::move(r);
  }
  return *impl_->results;
}

}  // namespace gpuprobe
