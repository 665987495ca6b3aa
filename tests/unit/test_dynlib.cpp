// Finding and loading GPU libraries, library version strings, and the kernel module version.
#include <gtest/gtest.h>

#include "fake_root.hpp"

#include <limits.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "gpuprobe/gpu/dynlib.hpp"
#include "gpuprobe/probes/context.hpp"

namespace gpuprobe {
namespace {

namespace fs = std::filesystem;

using gpuprobe::testing::FakeRoot;

TEST(VersionFromLibraryPath, Table) {
  struct Case { const char* path; const char* version; };
  for (const auto& c : {Case{"/usr/local/cuda/lib64/libcublas.so.13.1.0.3", "13.1.0"},
                        Case{"/usr/lib/x86_64-linux-gnu/libcudnn.so.9.19.0", "9.19.0"},
                        Case{"libcublas.so.13", "13"},
                        Case{"libfoo.so", ""},
                        Case{"/usr/lib/libnvidia-ml.so.580.65.06", "580.65.06"},
                        Case{"/usr/lib/libcuda.so.1", "1"},
                        Case{"libx.so.1.2rc", ""},
                        Case{"", ""}}) {
    SCOPED_TRACE(c.path);
    EXPECT_EQ(version_from_library_path(c.path), c.version);
  }
}

TEST(PythonWheels, LibraryFoldersOfEveryEnvironmentActiveOnesFirst) {
  FakeRoot root;
  root.write("/usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib/libcublas.so.13", "sys");
  root.write("/usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib/libcudnn.so.9", "sys");
  root.write("/home/u/.local/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.12", "user");
  root.write("/work/venv/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9", "venv");
  root.write("/work/venv/lib/python3.12/site-packages/torch/lib/libtorch.so", "not NVIDIA's");
  root.mkdir("/usr/local/lib/python3.12/dist-packages/nvidia/cuda_runtime");  // no lib folder
  root.write("/usr/lib/python3/dist-packages/nvidia/nccl/lib/libnccl.so.2", "debian");
  const SystemView sys = root.view({{"VIRTUAL_ENV", "/work/venv"}, {"HOME", "/home/u"}});
  EXPECT_EQ(python_wheel_library_dirs(sys),
            (std::vector<std::string>{"/work/venv/lib/python3.12/site-packages/nvidia/cudnn/lib",
                                      "/home/u/.local/lib/python3.11/site-packages/nvidia/cublas/lib",
                                      "/usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib",
                                      "/usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib",
                                      "/usr/lib/python3/dist-packages/nvidia/nccl/lib"}));
  // The active virtualenv's cuDNN wins over the system Python's.
  EXPECT_EQ(find_wheel_library_file("libcudnn.so.9", sys),
            root.resolved("/work/venv/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9"));
  // Without it, the system Python's; CUDA 13 wheels share nvidia/cu13/lib.
  const SystemView plain = root.view({});
  EXPECT_EQ(find_wheel_library_file("libcudnn.so.9", plain),
            root.resolved("/usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib/libcudnn.so.9"));
  EXPECT_EQ(find_wheel_library_file("libcublas.so.13", plain),
            root.resolved("/usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib/libcublas.so.13"));
  EXPECT_EQ(find_wheel_library_file("libcublas.so.12", plain), "") << "only under $HOME/.local, and no HOME given";
  EXPECT_EQ(find_wheel_library_file("libcublasLt.so.13", sys), "");
}

TEST(PythonWheels, CondaPrefixAndRelativeVariablesIgnored) {
  FakeRoot root;
  root.write("/opt/envs/a/lib/python3.10/site-packages/nvidia/cudnn/lib/libcudnn.so.9", "conda");
  EXPECT_EQ(find_wheel_library_file("libcudnn.so.9", root.view({{"CONDA_PREFIX", "/opt/envs/a"}})),
            root.resolved("/opt/envs/a/lib/python3.10/site-packages/nvidia/cudnn/lib/libcudnn.so.9"));
  EXPECT_EQ(find_wheel_library_file("libcudnn.so.9", root.view({{"CONDA_PREFIX", "opt/envs/a"}})), "");
  EXPECT_TRUE(python_wheel_library_dirs(root.view({})).empty());
}

TEST(PythonWheels, UnactivatedVirtualenvsOnPathCondaEnvsAndPyenvAreSearched) {
  FakeRoot root;
  root.write("/app/.venv/pyvenv.cfg", "home = /usr/bin");
  root.write("/app/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13", "uv");
  root.write("/opt/conda/envs/train/lib/python3.11/site-packages/nvidia/cudnn/lib/libcudnn.so.9", "conda env");
  root.write("/home/u/.pyenv/versions/3.12.4/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12", "pyenv");
  root.write("/tools/bin/placeholder");  // on PATH, but no pyvenv.cfg: not an environment
  root.write("/tools/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13", "not a venv");
  const SystemView sys = root.view({{"PATH", "/app/.venv/bin:/tools/bin:/usr/bin"}, {"HOME", "/home/u"}});
  EXPECT_EQ(find_wheel_library_file("libcublas.so.13", sys),
            root.resolved("/app/.venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13"));
  EXPECT_EQ(find_wheel_library_file("libcudnn.so.9", sys),
            root.resolved("/opt/conda/envs/train/lib/python3.11/site-packages/nvidia/cudnn/lib/libcudnn.so.9"));
  EXPECT_EQ(find_wheel_library_file("libcublas.so.12", sys),
            root.resolved("/home/u/.pyenv/versions/3.12.4/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12"));
  for (const auto& d : python_wheel_library_dirs(sys)) EXPECT_EQ(d.rfind("/tools/", 0), std::string::npos) << d;
}

TEST(PythonWheels, NewestPythonFirstAndTheCudaMajorsCudnnPreferred) {
  FakeRoot root;
  root.write("/usr/local/lib/python3.9/dist-packages/nvidia/cudnn/lib/libcudnn.so.9", "old python");
  root.write("/usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib/libcudnn.so.9", "new python");
  EXPECT_EQ(find_wheel_library_file("libcudnn.so.9", root.view({})),
            root.resolved("/usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib/libcudnn.so.9"));
  // cuDNN's wheels for CUDA 12 and 13 both hold libcudnn.so.9: the installed distribution decides.
  root.mkdir("/usr/local/lib/python3.12/dist-packages/nvidia_cudnn_cu12-9.10.2.21.dist-info");
  root.mkdir("/usr/local/lib/python3.9/dist-packages/nvidia_cudnn_cu13-9.19.0.56.dist-info");
  EXPECT_EQ(find_wheel_library_file("libcudnn.so.9", root.view({}), "nvidia_cudnn_cu13"),
            root.resolved("/usr/local/lib/python3.9/dist-packages/nvidia/cudnn/lib/libcudnn.so.9"));
  EXPECT_EQ(find_wheel_library_file("libcudnn.so.9", root.view({}), "nvidia_cudnn_cu12"),
            root.resolved("/usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib/libcudnn.so.9"));
  // Neither installed as that distribution: the first found still serves.
  EXPECT_EQ(find_wheel_library_file("libcudnn.so.9", root.view({}), "nvidia_cudnn_cu14"),
            root.resolved("/usr/local/lib/python3.12/dist-packages/nvidia/cudnn/lib/libcudnn.so.9"));
}

TEST(PythonWheels, VersionFromTheDistInfoAndTheNote) {
  FakeRoot root;
  root.write("/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13", "x");
  root.mkdir("/venv/lib/python3.12/site-packages/nvidia_cublas-13.1.0.3.dist-info");
  root.mkdir("/venv/lib/python3.12/site-packages/nvidia_cublasmp_cu13-0.6.0.dist-info");  // another project
  const std::string lib = root.resolved("/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13");
  EXPECT_EQ(wheel_distribution_version(lib, "nvidia_cublas"), "13.1.0");
  root.mkdir("/old/lib/python3.10/site-packages/nvidia_cublas_cu12-12.9.1.4.dist-info");
  root.write("/old/lib/python3.10/site-packages/nvidia/cublas/lib/libcublas.so.12", "x");
  EXPECT_EQ(wheel_distribution_version(root.resolved("/old/lib/python3.10/site-packages/nvidia/cublas/lib/libcublas.so.12"),
                                       "nvidia_cublas"),
            "12.9.1");
  EXPECT_EQ(wheel_distribution_version("/usr/local/cuda/lib64/libcublas.so.13", "nvidia_cublas"), "");
  const std::string note = wheel_library_note("/venv/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9");
  EXPECT_NE(note.find("pip wheel in /venv/lib/python3.12/site-packages/nvidia/cudnn/lib"), std::string::npos) << note;
  EXPECT_NE(note.find("LD_LIBRARY_PATH"), std::string::npos) << note;
}

TEST(FindLibraryFile, LdLibraryPathWithSymlink) {
  FakeRoot root;
  root.write("/opt/gpu/lib/libx.so.1.2.3", "ELF");
  root.symlink("libx.so.1.2.3", "/opt/gpu/lib/libx.so.1");
  const SystemView sys = root.view({{"LD_LIBRARY_PATH", "/nonexistent:/opt/gpu/lib"}});
  const std::string found = find_library_file("libx.so.1", sys);
  EXPECT_EQ(found, root.resolved("/opt/gpu/lib/libx.so.1.2.3"));
  EXPECT_EQ(version_from_library_path(found), "1.2.3");
  // The real file by its own name is found as well.
  EXPECT_EQ(find_library_file("libx.so.1.2.3", sys), root.resolved("/opt/gpu/lib/libx.so.1.2.3"));
}

TEST(FindLibraryFile, LdLibraryPathOrderWins) {
  FakeRoot root;
  root.write("/first/liby.so.2", "1");
  root.write("/second/liby.so.2", "2");
  EXPECT_EQ(find_library_file("liby.so.2", root.view({{"LD_LIBRARY_PATH", "/first:/second"}})),
            root.resolved("/first/liby.so.2"));
  EXPECT_EQ(find_library_file("liby.so.2", root.view({{"LD_LIBRARY_PATH", "/second::/first"}})),
            root.resolved("/second/liby.so.2"));
}

TEST(FindLibraryFile, LdSoConfIncludeGlobIsFollowed) {
  FakeRoot root;
  root.write("/etc/ld.so.conf", "# comment\ninclude /etc/ld.so.conf.d/*.conf\n/usr/local/lib\n");
  root.write("/etc/ld.so.conf.d/000-cuda.conf", "/usr/local/cuda/targets/x86_64-linux/lib  # toolkit\n");
  root.write("/etc/ld.so.conf.d/nvidia.conf", "\n/usr/local/nvidia/lib64\n");
  root.write("/usr/local/cuda/targets/x86_64-linux/lib/libcublas.so.13.0.0.19", "ELF");
  root.symlink("libcublas.so.13.0.0.19", "/usr/local/cuda/targets/x86_64-linux/lib/libcublas.so.13");
  root.write("/usr/local/nvidia/lib64/libcuda.so.1", "ELF");
  root.write("/usr/local/lib/libz.so.9", "ELF");
  const SystemView sys = root.view();
  EXPECT_EQ(find_library_file("libcublas.so.13", sys),
            root.resolved("/usr/local/cuda/targets/x86_64-linux/lib/libcublas.so.13.0.0.19"));
  EXPECT_EQ(find_library_file("libcuda.so.1", sys), root.resolved("/usr/local/nvidia/lib64/libcuda.so.1"));
  EXPECT_EQ(find_library_file("libz.so.9", sys), root.resolved("/usr/local/lib/libz.so.9"));
}

TEST(FindLibraryFile, AnLdSoConfFolderCountsOnlyForWhatTheLoadersCacheNames) {
  FakeRoot root;
  root.write("/etc/ld.so.conf", "/usr/local/cuda-13.0/lib\n/opt/new\n");
  root.write("/usr/local/cuda-13.0/lib/libcublas.so.13", "ELF");
  root.write("/usr/local/cuda-13.0/lib/libcudnn.so.9", "ELF");  // copied in after ldconfig ran
  root.write("/opt/new/libz.so.7", "ELF");
  root.write("/usr/lib/x86_64-linux-gnu/libsys.so.1", "ELF");  // a system folder: no cache needed
  // What ldconfig writes: a header, then the names and paths as NUL-terminated strings.
  const std::string strings = std::string("libcublas.so.13") + '\0' + "/usr/local/cuda-13.0/lib/libcublas.so.13" + '\0';
  root.write("/etc/ld.so.cache", std::string("glibc-ld.so.cache1.1") + std::string(28, '\1') + strings);
  const SystemView sys = root.view();
  EXPECT_EQ(find_library_file("libcublas.so.13", sys), root.resolved("/usr/local/cuda-13.0/lib/libcublas.so.13"));
  EXPECT_EQ(find_library_file("libcudnn.so.9", sys), "") << "not in the cache: the loader does not find it";
  EXPECT_EQ(find_library_file("libz.so.7", sys), "");
  EXPECT_EQ(find_library_file("libsys.so.1", sys), root.resolved("/usr/lib/x86_64-linux-gnu/libsys.so.1"));
  // LD_LIBRARY_PATH needs no cache.
  EXPECT_EQ(find_library_file("libz.so.7", root.view({{"LD_LIBRARY_PATH", "/opt/new"}})),
            root.resolved("/opt/new/libz.so.7"));
  // A file that is not a loader cache is ignored: the configured folders count as they are.
  root.write("/etc/ld.so.cache", "garbage");
  EXPECT_EQ(find_library_file("libcudnn.so.9", sys), root.resolved("/usr/local/cuda-13.0/lib/libcudnn.so.9"));
}

TEST(FindLibraryFile, SystemFolders) {
  FakeRoot root;
  root.write("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", "ELF");
  EXPECT_EQ(find_library_file("libnvidia-ml.so.1", root.view()),
            root.resolved("/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"));
}

TEST(FindLibraryFile, AbsentIsEmpty) {
  FakeRoot root;
  root.write("/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");  // glob matches nothing
  root.write("/opt/lib/libother.so.1", "ELF");
  EXPECT_EQ(find_library_file("libdefinitely-absent.so.1", root.view({{"LD_LIBRARY_PATH", "/opt/lib"}})), "");
  // A dangling symlink is absent too.
  root.symlink("libgone.so.1.0", "/opt/lib/libgone.so.1");
  EXPECT_EQ(find_library_file("libgone.so.1", root.view({{"LD_LIBRARY_PATH", "/opt/lib"}})), "");
}

TEST(FindLibraryFile, SelfIncludingConfDoesNotLoopForever) {
  FakeRoot root;
  root.write("/etc/ld.so.conf", "include /etc/ld.so.conf\n/opt/lib\n");
  root.write("/opt/lib/libq.so.1", "ELF");
  EXPECT_EQ(find_library_file("libq.so.1", root.view()), root.resolved("/opt/lib/libq.so.1"));
}

// ---- CUDA toolkit folders ------------------------------------------------------------------------

#if defined(__aarch64__)
constexpr const char* kTargetLib = "targets/sbsa-linux/lib";
#else
constexpr const char* kTargetLib = "targets/x86_64-linux/lib";
#endif

TEST(ToolkitFolders, VariablesThenUsrLocalCudaThenVersionsNewestFirst) {
  FakeRoot root;
  root.mkdir("/opt/tk/lib64");
  root.mkdir("/opt/other/lib");
  root.mkdir("/usr/local/cuda/lib64");
  root.mkdir("/usr/local/cuda-12.9/lib64");
  root.mkdir("/usr/local/cuda-12.10/lib64");  // numbers, not text: 12.10 is newer than 12.9
  root.mkdir("/usr/local/cuda-13.0/" + std::string(kTargetLib));
  root.mkdir("/usr/local/cuda-13.1/lib64");
  root.mkdir("/usr/local/cuda-13/lib64");
  root.mkdir("/usr/local/cuda-11.8");       // no library folder
  root.mkdir("/usr/local/cuda-toolkit/lib64");  // not a versioned name
  root.mkdir("/usr/local/cuda-13.x/lib64");
  root.write("/usr/local/cuda-9.2", "a file, not a toolkit");
  const SystemView sys = root.view({{"CUDA_HOME", "/opt/tk/"}, {"CUDA_PATH", "/opt/other"}});
  EXPECT_EQ(cuda_toolkit_library_dirs(sys),
            (std::vector<std::string>{"/opt/tk/lib64", "/opt/other/lib", "/usr/local/cuda/lib64",
                                      "/usr/local/cuda-13/lib64", "/usr/local/cuda-13.1/lib64",
                                      "/usr/local/cuda-13.0/" + std::string(kTargetLib),
                                      "/usr/local/cuda-12.10/lib64", "/usr/local/cuda-12.9/lib64"}));
  // Relative variables are ignored (the loader's search never depends on the working directory).
  const auto dirs = cuda_toolkit_library_dirs(root.view({{"CUDA_HOME", "opt/tk"}}));
  EXPECT_EQ(dirs.front(), "/usr/local/cuda/lib64");
}

TEST(ToolkitFolders, NoToolkitNoFolders) {
  FakeRoot root;
  root.mkdir("/usr/local/lib");
  EXPECT_TRUE(cuda_toolkit_library_dirs(root.view({{"CUDA_HOME", "/nonexistent"}})).empty());
  EXPECT_EQ(find_toolkit_library_file("libcublas.so.13", root.view()).file, "");
  EXPECT_EQ(find_toolkit_library_file("libcublas.so.13", root.view()).dir, "");
}

TEST(ToolkitFolders, OneFolderReachedThroughSymlinksIsListedOnceUnderItsFirstName) {
  // The runfile's and the packages' layout: cuda -> cuda-13.0, lib64 -> targets/<arch>/lib.
  FakeRoot root;
  const std::string real = "/usr/local/cuda-13.0/" + std::string(kTargetLib);
  root.write(real + "/libcublas.so.13.1.0.3", "ELF");
  root.symlink("libcublas.so.13.1.0.3", real + "/libcublas.so.13");
  root.symlink(kTargetLib, "/usr/local/cuda-13.0/lib64");
  root.symlink("cuda-13.0", "/usr/local/cuda");
  root.symlink("cuda-13.0", "/usr/local/cuda-13");  // the packages' alternatives link
  root.mkdir("/usr/local/cuda-12.8/lib64");
  const SystemView sys = root.view();
  EXPECT_EQ(cuda_toolkit_library_dirs(sys),
            (std::vector<std::string>{"/usr/local/cuda/lib64", "/usr/local/cuda-12.8/lib64"}));
  const FoundLibrary f = find_toolkit_library_file("libcublas.so.13", sys);
  EXPECT_EQ(f.dir, "/usr/local/cuda/lib64");
  EXPECT_EQ(f.file, root.resolved(real + "/libcublas.so.13.1.0.3"));
  EXPECT_EQ(version_from_library_path(f.file), "13.1.0");
  // $CUDA_HOME naming the same toolkit takes the first place, and the folder is still listed once.
  EXPECT_EQ(cuda_toolkit_library_dirs(root.view({{"CUDA_HOME", "/usr/local/cuda-13.0"}})),
            (std::vector<std::string>{"/usr/local/cuda-13.0/lib64", "/usr/local/cuda-12.8/lib64"}));
}

TEST(ToolkitFolders, FirstFolderHoldingTheLibraryWins) {
  FakeRoot root;
  root.mkdir("/usr/local/cuda/lib64");  // the default toolkit without cuDNN
  root.write("/usr/local/cuda-13.0/lib64/libcudnn.so.9", "13.0");
  root.write("/usr/local/cuda-12.9/lib64/libcudnn.so.9", "12.9");
  root.write("/usr/local/cuda-12.9/lib64/libcublas.so.12", "12.9");
  const SystemView sys = root.view();
  EXPECT_EQ(find_toolkit_library_file("libcudnn.so.9", sys).dir, "/usr/local/cuda-13.0/lib64");
  EXPECT_EQ(find_toolkit_library_file("libcublas.so.12", sys).dir, "/usr/local/cuda-12.9/lib64");
  EXPECT_EQ(find_toolkit_library_file("libcublas.so.13", sys).file, "");
  // A dangling link is no library.
  root.symlink("libcublas.so.13.9", "/usr/local/cuda/lib64/libcublas.so.13");
  EXPECT_EQ(find_toolkit_library_file("libcublas.so.13", sys).file, "");
}

TEST(ToolkitFolders, TheNoteSaysWhereAndTheFix) {
  FakeRoot root;
  root.mkdir("/usr/local/cuda-13.0/lib64");
  root.symlink("cuda-13.0", "/usr/local/cuda");
  root.write("/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  root.write("/etc/ld.so.conf.d/libc.conf", "/usr/local/lib\n");
  const std::string note = toolkit_library_note("/usr/local/cuda/lib64", root.view());
  EXPECT_EQ(note,
            "in the CUDA toolkit folder /usr/local/cuda/lib64, not on the loader's paths: add it to LD_LIBRARY_PATH, "
            "or list it in a file in /etc/ld.so.conf.d and run ldconfig, so that other programs find it too");
  // Listed (under another name of the same folder) but the loader did not find it: a stale cache.
  root.write("/etc/ld.so.conf.d/cuda-13-0.conf", "/usr/local/cuda-13.0/lib64\n");
  const std::string stale = toolkit_library_note("/usr/local/cuda/lib64", root.view());
  EXPECT_NE(stale.find("in the CUDA toolkit folder /usr/local/cuda/lib64, listed in the loader's configuration"),
            std::string::npos) << stale;
  EXPECT_NE(stale.find("run ldconfig"), std::string::npos) << stale;
  EXPECT_EQ(stale.find("LD_LIBRARY_PATH"), std::string::npos) << stale;
}

// Sets an environment variable for one test's lifetime.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(OpenLibrary, ALibraryOnlyInAToolkitFolderIsLoadedByPathAndSaysSo) {
  // libm under a name the loader does not know, in a made-up toolkit named by $CUDA_HOME.
  const DynLib libm = DynLib::open({"libm.so.6"});
  ASSERT_TRUE(libm.loaded()) << libm.error();
  FakeRoot tk;
  tk.symlink(libm.path(), "/lib64/libgpuprobe-toolkit-test.so.1");
  ScopedEnv home("CUDA_HOME", tk.dir());
  const DynLib lib = open_library({"libgpuprobe-toolkit-test.so.1"});
  ASSERT_TRUE(lib.loaded()) << lib.error();
  EXPECT_EQ(lib.source(), LibSource::cuda_toolkit);
  EXPECT_STREQ(lib_source_name(lib.source()), "cuda_toolkit");
  EXPECT_FALSE(lib.from_wheel());
  EXPECT_EQ(lib.found_in(), tk.dir() + "/lib64");
  double (*cos_fn)(double) = nullptr;
  ASSERT_TRUE(lib.bind(cos_fn, "cos"));
  EXPECT_EQ(cos_fn(0.0), 1.0);
  const std::string note = library_source_note(lib, SystemView::live());
  EXPECT_NE(note.find("CUDA toolkit folder " + tk.dir() + "/lib64, not on the loader's paths"), std::string::npos)
      << note;
  // Found through the loader: no note, loader as the source.
  const DynLib via_loader = open_library({"libm.so.6"});
  EXPECT_EQ(via_loader.source(), LibSource::loader);
  EXPECT_EQ(via_loader.found_in(), "");
  EXPECT_EQ(library_source_note(via_loader, SystemView::live()), "");
}

TEST(OpenLibrary, FoundNowhereCarriesTheLoadersError) {
  FakeRoot tk;
  tk.mkdir("/lib64");
  ScopedEnv home("CUDA_HOME", tk.dir());
  const DynLib lib = open_library({"libgpuprobe-absent-everywhere.so.3"});
  EXPECT_FALSE(lib.loaded());
  EXPECT_EQ(lib.source(), LibSource::loader);
  EXPECT_NE(lib.error().find("libgpuprobe-absent-everywhere.so.3"), std::string::npos) << lib.error();
}

TEST(DynLib, MissingLibraryNotLoaded) {
  const DynLib lib = DynLib::open({"libdefinitely-not-there.so.7"});
  EXPECT_FALSE(lib.loaded());
  EXPECT_NE(lib.error().find("libdefinitely-not-there.so.7"), std::string::npos) << lib.error();
  EXPECT_EQ(lib.soname(), "");
  EXPECT_EQ(lib.path(), "");
  EXPECT_EQ(lib.raw("anything"), nullptr);
  void (*fn)() = nullptr;
  EXPECT_FALSE(lib.bind(fn, "anything"));
}

TEST(DynLib, ErrorNamesTheLastNameTried) {
  const DynLib lib = DynLib::open({"libnot-there-a.so.1", "libnot-there-b.so.2"});
  EXPECT_FALSE(lib.loaded());
  EXPECT_NE(lib.error().find("libnot-there-b.so.2"), std::string::npos) << lib.error();
}

TEST(DynLib, FallsBackToALibraryThatExists) {
  // libc is present on any Linux host this runs on.
  const DynLib lib = DynLib::open({"libdefinitely-not-there.so.7", "libc.so.6"});
  ASSERT_TRUE(lib.loaded()) << lib.error();
  EXPECT_EQ(lib.soname(), "libc.so.6");
  EXPECT_FALSE(lib.path().empty());
  EXPECT_EQ(lib.error(), "");
  int (*abs_fn)(int) = nullptr;
  ASSERT_TRUE(lib.bind(abs_fn, "abs"));
  EXPECT_EQ(abs_fn(-3), 3);
}

TEST(KernelModuleVersion, ProprietaryModule) {
  EXPECT_EQ(parse_kernel_module_version(
                "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.65.06  Sun Jul 27 06:54:38 UTC 2025\n"
                "GCC version:  gcc version 13.3.0 (Ubuntu 13.3.0-6ubuntu2~24.04)\n"),
            "580.65.06");
  EXPECT_EQ(parse_kernel_module_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.26  Thu Jan 23 2025"),
            "570.26");
}

TEST(KernelModuleVersion, OpenModule) {
  const std::string text =
      "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build  (dvs-builder@U22)\n"
      "GCC version:  gcc version 12.3.0\n";
  const std::string v = parse_kernel_module_version(text);
  EXPECT_EQ(v, "580.95.05");
}

TEST(KernelModuleVersion, OpenModuleAarch64) {
  const std::string v = parse_kernel_module_version(
      "NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  580.95.05  Release Build\n");
  EXPECT_EQ(v, "580.95.05");
}

TEST(KernelModuleVersion, GarbageIsEmpty) {
  EXPECT_EQ(parse_kernel_module_version(""), "");
  EXPECT_EQ(parse_kernel_module_version("garbage"), "");
  EXPECT_EQ(parse_kernel_module_version("NVRM version: something else 580.65.06"), "");
  EXPECT_EQ(parse_kernel_module_version("Kernel Module  no version here"), "");
}

}  // namespace
}  // namespace gpuprobe

namespace gpuprobe {
namespace {
TEST(PrefetchSonames, TheCudnnLibrariesLoadedOnlyForAConvolution) {
  const auto dnn = cudnn_prefetch_sonames();
  ASSERT_EQ(dnn.size(), 2u);
  EXPECT_EQ(dnn[0].rfind("libcudnn_heuristic.so.", 0), 0u) << dnn[0];
  EXPECT_EQ(dnn[1].rfind("libcudnn_engines_precompiled.so.", 0), 0u) << dnn[1];
}
}  // namespace
}  // namespace gpuprobe
