// The frameworks check's static half: ELF reading, what a framework's files say (version, build,
// CUDA, architectures, requirements), and the verdicts against a driver and GPUs. The files written
// here copy the real ones of PyPI's wheels (torch 2.15.0, jaxlib/jax-cuda13-plugin 0.10.2,
// tensorflow 2.21.0, cupy-cuda13x 14.2.0); tests/frameworks/ runs the check on the real wheels.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "fake_root.hpp"
#include "gpuprobe/gpu/elf_read.hpp"
#include "gpuprobe/probes/frameworks.hpp"

namespace gpuprobe {
namespace {

using gpuprobe::testing::FakeRoot;

const char* kTorchVersionPy = R"(from typing import Optional

__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip', 'rocm', 'xpu']
__version__ = '2.15.0+cu132'
debug = False
cuda: Optional[str] = '13.2'
git_version = 'd0f2af8b66b20da4baa50644c0cd3f887a2eae2e'
hip: Optional[str] = None
rocm: Optional[str] = None
xpu: Optional[str] = None
)";

const char* kTorchMetadata = R"(Metadata-Version: 2.4
Name: torch
Version: 2.15.0
Requires-Dist: filelock
Requires-Dist: cuda-toolkit[cublas,cudart,cufft,cufile,cupti,cusolver,cusparse,nvjitlink,nvrtc,nvtx]==13.2.2; platform_system == "Linux"
Requires-Dist: cuda-bindings<14,>=13.0.3; platform_system == "Linux" and python_version < "3.15"
Requires-Dist: nvidia-cudnn-cu13==9.26.0.51; platform_system == "Linux"
Requires-Dist: nvidia-nccl-cu13==2.30.7; platform_system == "Linux"
Requires-Dist: nvidia-windows-only==1.0; platform_system == "Windows"
Requires-Dist: opt-einsum>=3.3; extra == "opt-einsum"

Requires-Dist: nvidia-not-a-header==1.0
)";

const std::string kSite = "/opt/venv/lib/python3.11/site-packages";

void torch_site(const FakeRoot& root, const std::string& version_py = kTorchVersionPy) {
  root.write("/opt/venv/bin/python3.11", "");
  root.write("/opt/venv/pyvenv.cfg", "home = /usr/bin\n");
  root.write(kSite + "/torch-2.15.0.dist-info/METADATA", kTorchMetadata);
  root.write(kSite + "/torch/version.py", version_py);
  root.write(kSite + "/nvidia_cudnn_cu13-9.26.0.51.dist-info/METADATA", "Name: nvidia-cudnn-cu13\n");
}

const FrameworkInstall* named(const std::vector<FrameworkInstall>& fs, const std::string& name) {
  for (const auto& f : fs)
    if (f.name == name) return &f;
  return nullptr;
}

bool has(const std::vector<Finding>& fs, const std::string& reason, Status s) {
  return std::any_of(fs.begin(), fs.end(), [&](const Finding& f) { return f.reason == reason && f.status == s; });
}
const Finding* find(const std::vector<Finding>& fs, const std::string& reason) {
  for (const auto& f : fs)
    if (f.reason == reason) return &f;
  return nullptr;
}

// ---- ELF -----------------------------------------------------------------------------------------

TEST(ElfRead, ReadsTheSystemsLibm) {
  const std::string libm = "/lib/x86_64-linux-gnu/libm.so.6";
  if (!std::filesystem::exists(libm)) GTEST_SKIP() << "no " << libm;
  const auto d = read_elf_dynamic(libm);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->soname, "libm.so.6");
  EXPECT_NE(std::find(d->needed.begin(), d->needed.end(), "libc.so.6"), d->needed.end());
  const auto rodata = read_elf_section(libm, ".rodata");
  ASSERT_TRUE(rodata);
  EXPECT_GT(rodata->size(), 0u);
  EXPECT_FALSE(read_elf_section(libm, ".no_such_section"));
  EXPECT_FALSE(read_elf_section(libm, ".rodata", 1));  // larger than allowed
}

TEST(ElfRead, RejectsWhatIsNotElf) {
  FakeRoot root;
  root.write("/text.so", "not an ELF file at all, but long enough to hold a header of sixty-four bytes....");
  root.write("/short.so", "\x7f" "ELF");
  EXPECT_FALSE(read_elf_dynamic(root.host("/text.so").string()));
  EXPECT_FALSE(read_elf_dynamic(root.host("/short.so").string()));
  EXPECT_FALSE(read_elf_dynamic(root.host("/missing.so").string()));
  // A real ELF cut short: its section headers lie past the end.
  const std::string libm = "/lib/x86_64-linux-gnu/libm.so.6";
  if (std::filesystem::exists(libm)) {
    std::ifstream in(libm, std::ios::binary);
    std::string head(4096, '\0');
    in.read(head.data(), 4096);
    root.write("/cut.so", head);
    EXPECT_FALSE(read_elf_dynamic(root.host("/cut.so").string()));
  }
}

TEST(ElfRead, ExpandsOrigin) {
  EXPECT_EQ(expand_elf_search_path("$ORIGIN/../../nvidia/cudnn/lib:${ORIGIN}::/usr/lib", "/s/torch/lib"),
            (std::vector<std::string>{"/s/torch/lib/../../nvidia/cudnn/lib", "/s/torch/lib", "/usr/lib"}));
  EXPECT_TRUE(expand_elf_search_path("", "/x").empty());
}

TEST(Frameworks, ArchListFromRodata) {
  const std::string ro = std::string("sm_90a is not a list\0", 21) + std::string("\0sm_75 sm_80 sm_86 sm_90 sm_100 sm_120\0", 39) +
                         std::string("sm_80\0compute_90\0", 17);
  EXPECT_EQ(arch_list_from_rodata(ro),
            (std::vector<std::string>{"sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"}));
  EXPECT_TRUE(arch_list_from_rodata("nothing here").empty());
}

// ---- reading the files ----------------------------------------------------------------------------

TEST(Frameworks, TorchCudaBuildFromVersionPy) {
  FakeRoot root;
  torch_site(root);
  const auto fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}}));
  const FrameworkInstall* t = named(fs, "torch");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->version, "2.15.0+cu132");
  EXPECT_EQ(t->build, FrameworkBuild::cuda);
  EXPECT_EQ(t->cuda, "13.2");
  EXPECT_EQ(t->cuda_major(), 13);
  EXPECT_EQ(t->cuda_minor(), 2);
  EXPECT_EQ(t->site, kSite);
  EXPECT_EQ(t->python, "/opt/venv/bin/python3.11");
  // Requirements on NVIDIA's wheels that hold on Linux, with what is installed; not the Windows
  // one, not an extra's, not past the headers.
  std::vector<std::string> reqs, installed;
  for (const auto& r : t->requirements) reqs.push_back(r.requirement), installed.push_back(r.installed);
  EXPECT_EQ(reqs, (std::vector<std::string>{
                      "cuda-toolkit[cublas,cudart,cufft,cufile,cupti,cusolver,cusparse,nvjitlink,nvrtc,nvtx]==13.2.2",
                      "nvidia-cudnn-cu13==9.26.0.51", "nvidia-nccl-cu13==2.30.7"}));
  EXPECT_EQ(installed, (std::vector<std::string>{"", "9.26.0.51", ""}));
}

TEST(Frameworks, CudaToolkitExtrasAreFollowed) {
  FakeRoot root;
  torch_site(root);
  root.write(kSite + "/cuda_toolkit-13.2.2.dist-info/METADATA",
             "Name: cuda-toolkit\nRequires-Dist: nvidia-cufile==1.17.1.22; extra == \"cufile\"\n"
             "Requires-Dist: nvidia-cublas==13.3.0.5; extra == \"cublas\"\n"
             "Requires-Dist: nvidia-curand==10.4; extra == \"curand\"\n");
  root.write(kSite + "/nvidia_cublas-13.3.0.5.dist-info/METADATA", "");
  const auto fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}}));
  std::vector<std::string> missing;
  for (const auto& r : named(fs, "torch")->requirements)
    if (r.installed.empty()) missing.push_back(r.requirement);
  EXPECT_EQ(missing, (std::vector<std::string>{"nvidia-cufile==1.17.1.22", "nvidia-nccl-cu13==2.30.7"}));
}

TEST(Frameworks, TorchCpuAndRocmBuilds) {
  FakeRoot root;
  torch_site(root, "__version__ = '2.15.0+cpu'\ncuda: Optional[str] = None\nhip: Optional[str] = None\n");
  auto fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}}));
  EXPECT_EQ(named(fs, "torch")->build, FrameworkBuild::cpu);
  EXPECT_EQ(named(fs, "torch")->version, "2.15.0+cpu");
  root.write(kSite + "/torch/version.py", "__version__ = '2.9.0+rocm6.4'\ncuda = None\nhip = '6.4.1'\n");
  fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}}));
  EXPECT_EQ(named(fs, "torch")->build, FrameworkBuild::rocm);
}

TEST(Frameworks, JaxPluginDecidesTheBuild) {
  FakeRoot root;
  root.write(kSite + "/jaxlib-0.10.2.dist-info/METADATA", "Name: jaxlib\n");
  root.write(kSite + "/jax-0.10.2.dist-info/METADATA", "Name: jax\n");
  auto fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}}));
  ASSERT_TRUE(named(fs, "jax"));
  EXPECT_EQ(named(fs, "jax")->build, FrameworkBuild::cpu);
  EXPECT_EQ(named(fs, "jax")->distribution, "jaxlib");

  root.write(kSite + "/jax_cuda13_plugin-0.10.2.dist-info/METADATA",
             "Name: jax-cuda13-plugin\nRequires-Dist: jax-cuda13-pjrt==0.10.2\n"
             "Requires-Dist: nvidia-cublas>=13.0.0.19; sys_platform == \"linux\" and extra == \"with-cuda\"\n");
  root.write(kSite + "/jax_cuda13_pjrt-0.10.2.dist-info/METADATA", "Name: jax-cuda13-pjrt\n");
  fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}}));
  const FrameworkInstall* j = named(fs, "jax");
  EXPECT_EQ(j->build, FrameworkBuild::cuda);
  EXPECT_EQ(j->cuda, "13");
  EXPECT_EQ(j->cuda_minor(), -1);
  EXPECT_EQ(j->plugin, "jax-cuda13-plugin 0.10.2 + jax-cuda13-pjrt 0.10.2");
  EXPECT_EQ(j->plugin_mismatch, "");
  EXPECT_TRUE(j->requirements.empty());  // the NVIDIA wheels are the with-cuda extra's

  std::filesystem::remove_all(root.host(kSite + "/jax_cuda13_pjrt-0.10.2.dist-info"));
  root.write(kSite + "/jax_cuda13_pjrt-0.12.1.dist-info/METADATA", "Name: jax-cuda13-pjrt\n");
  fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}}));
  EXPECT_EQ(named(fs, "jax")->plugin_mismatch, "jax-cuda13-pjrt 0.12.1 vs jaxlib 0.10.2");
  const auto v = evaluate_framework(*named(fs, "jax"), {}, nullptr);
  EXPECT_TRUE(has(v, "framework_plugin_mismatch", Status::warn));
}

TEST(Frameworks, TensorflowBuildInfo) {
  FakeRoot root;
  root.write(kSite + "/tensorflow-2.21.0.dist-info/METADATA",
             "Name: tensorflow\nRequires-Dist: nvidia-cudnn-cu12<10.0,>=9.3.0.75; extra == \"and-cuda\"\n");
  root.write(kSite + "/tensorflow/python/platform/build_info.py",
             "build_info = collections.OrderedDict([('cpu_compiler', 'clang'), ('cuda_compute_capabilities', "
             "['sm_60', 'sm_70', 'sm_80', 'sm_89', 'compute_90']), ('cuda_version', '12.5.1'), ('cudnn_version', "
             "'9'), ('is_cuda_build', True), ('is_rocm_build', False), ('is_tensorrt_build', False)])\n");
  auto fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}}));
  const FrameworkInstall* t = named(fs, "tensorflow");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->build, FrameworkBuild::cuda);
  EXPECT_EQ(t->cuda, "12.5.1");
  EXPECT_EQ(t->archs, (std::vector<std::string>{"sm_60", "sm_70", "sm_80", "sm_89", "compute_90"}));
  // Neither the and-cuda wheels nor the system's libraries: it runs on the CPU.
  auto v = evaluate_framework(*t, {}, nullptr);
  const Finding* w = find(v, "framework_wheels_missing");
  ASSERT_TRUE(w);
  EXPECT_NE(w->message.find("libcudart.so.12, libcudnn.so.9 are not on the loader's paths"), std::string::npos) << w->message;
  EXPECT_EQ(w->hint, "pip install \"tensorflow[and-cuda]==2.21.0\"");
  // The and-cuda wheels' folders hold them: fine.
  root.write(kSite + "/nvidia/cuda_runtime/lib/libcudart.so.12", "");
  root.write(kSite + "/nvidia/cudnn/lib/libcudnn.so.9", "");
  fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}}));
  v = evaluate_framework(*named(fs, "tensorflow"), {}, nullptr);
  EXPECT_FALSE(find(v, "framework_wheels_missing"));
  // tensorflow-cpu is CPU-only.
  std::filesystem::remove_all(root.host(kSite + "/tensorflow-2.21.0.dist-info"));
  root.write(kSite + "/tensorflow_cpu-2.21.0.dist-info/METADATA", "Name: tensorflow-cpu\n");
  fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}}));
  EXPECT_EQ(named(fs, "tensorflow")->build, FrameworkBuild::cpu);
}

TEST(Frameworks, CupyWheelNamesItsCuda) {
  FakeRoot root;
  root.write(kSite + "/cupy_cuda12x-14.2.0.dist-info/METADATA", "Name: cupy-cuda12x\n");
  auto fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}}));
  ASSERT_TRUE(named(fs, "cupy"));
  EXPECT_EQ(named(fs, "cupy")->cuda, "12");
  root.write(kSite + "/cupy/.data/_wheel.json", R"({"cuda": "13.x", "packaging": "pip"})");
  fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}}));
  EXPECT_EQ(named(fs, "cupy")->cuda, "13");
}

TEST(Frameworks, EachEnvironmentOnceAndItsOwnPython) {
  FakeRoot root;
  torch_site(root);
  root.symlink("/opt/venv", "/opt/alias");  // the same environment under two names
  root.write("/home/u/.local/lib/python3.11/site-packages/jaxlib-0.10.2.dist-info/METADATA", "");
  root.write("/usr/bin/python3.11", "");
  const auto fs = find_frameworks(root.view({{"VIRTUAL_ENV", "/opt/venv"}, {"CONDA_PREFIX", "/opt/alias"}, {"HOME", "/home/u"}}));
  ASSERT_EQ(fs.size(), 2u);
  EXPECT_EQ(fs[0].name, "torch");
  EXPECT_EQ(fs[1].name, "jax");
  EXPECT_EQ(fs[1].python, "/usr/bin/python3.11");  // a user site is read by the system's interpreter
}

TEST(Frameworks, DebiansLocalDistPackagesBelongToTheSystemPython) {
  FakeRoot root;
  root.write("/usr/local/lib/python3.11/dist-packages/cupy_cuda13x-14.2.0.dist-info/METADATA", "");
  root.write("/usr/bin/python3.11", "");
  const auto fs = find_frameworks(root.view());
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].python, "/usr/bin/python3.11");
}

// ---- verdicts ------------------------------------------------------------------------------------

FrameworkInstall torch_cu132() {
  FrameworkInstall f;
  f.name = "torch";
  f.distribution = "torch";
  f.version = "2.15.0+cu132";
  f.build = FrameworkBuild::cuda;
  f.cuda = "13.2";
  f.archs = {"sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"};
  f.python = "/opt/venv/bin/python3.11";
  f.site = kSite;
  return f;
}

TEST(FrameworkVerdicts, CudaNewerThanTheDriver) {
  FrameworkHost host;
  host.driver_cuda = 12020;
  host.driver_version = "535.261.03";
  host.driver_present = true;
  const auto v = evaluate_framework(torch_cu132(), host, nullptr);
  const Finding* f = find(v, "framework_cuda_too_new");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, Status::fail);
  EXPECT_NE(f->message.find("built for CUDA 13.2; driver 535.261.03 supports CUDA 12.2"), std::string::npos) << f->message;
  EXPECT_NE(f->hint.find("branch 580 or newer"), std::string::npos) << f->hint;
  EXPECT_NE(f->hint.find("https://download.pytorch.org/whl/cu126"), std::string::npos) << f->hint;
}

TEST(FrameworkVerdicts, MinorVersionCompatibilityPasses) {
  FrameworkHost host;
  host.driver_cuda = 13000;
  host.driver_present = true;
  const auto v = evaluate_framework(torch_cu132(), host, nullptr);
  EXPECT_TRUE(has(v, "framework_minor_version_compat", Status::pass));
  EXPECT_EQ(worst(v), Status::pass);
  host.driver_cuda = 13020;  // same minor: nothing to say
  EXPECT_TRUE(evaluate_framework(torch_cu132(), host, nullptr).empty());
  host.driver_cuda = 14000;  // a newer driver runs older CUDA
  EXPECT_TRUE(evaluate_framework(torch_cu132(), host, nullptr).empty());
}

TEST(FrameworkVerdicts, ComputeCapabilityMissingFromTheBuild) {
  FrameworkHost host;
  host.driver_cuda = 13000;
  host.gpus_usable = true;
  auto f = torch_cu132();
  host.gpu_ccs = {{8, 9}, {10, 3}};  // sm_86 and sm_100 SASS serve them
  EXPECT_EQ(worst(evaluate_framework(f, host, nullptr)), Status::pass);
  f.archs = {"sm_75", "sm_80", "sm_86", "sm_90"};  // an older wheel on a Blackwell GPU
  host.gpu_ccs = {{10, 0}};
  auto v = evaluate_framework(f, host, nullptr);
  const Finding* m = find(v, "framework_arch_missing");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, Status::fail);
  EXPECT_NE(m->message.find("no kernel image is available for execution on the device"), std::string::npos);
  // PTX of an older architecture is JIT-compiled: it runs, slowly at first.
  f.archs = {"sm_80", "compute_90"};
  host.gpu_ccs = {{12, 0}};
  v = evaluate_framework(f, host, nullptr);
  EXPECT_TRUE(has(v, "framework_arch_ptx", Status::pass));
  // A GPU CUDA 13 no longer supports: whatever the list says.
  host.gpu_ccs = {{7, 0}};
  v = evaluate_framework(torch_cu132(), host, nullptr);
  const Finding* u = find(v, "framework_gpu_unsupported");
  ASSERT_TRUE(u);
  EXPECT_NE(u->hint.find("CUDA 12"), std::string::npos) << u->hint;
}

TEST(FrameworkVerdicts, MissingAndForeignLibraries) {
  auto f = torch_cu132();
  f.cuda_library = kSite + "/torch/lib/libtorch_cuda.so";
  f.requirements = {{"cuda-toolkit[cublas,cufile]==13.2.2", "cuda_toolkit", ""},
                    {"nvidia-cudnn-cu13==9.26.0.51", "nvidia_cudnn_cu13", ""}};
  f.libs = {{"libcufile.so.0", "", "", false, "libtorch_cuda.so", ""},
            {"libcudnn.so.9", "/usr/lib/x86_64-linux-gnu/libcudnn.so.9.1.0", "loader", false, "libtorch_cuda.so", ""},
            {"libnccl.so.2", kSite + "/nvidia/nccl/lib/libnccl.so.2", "rpath", true, "libtorch_cuda.so", ""}};
  auto v = evaluate_framework(f, {}, nullptr);
  const Finding* m = find(v, "framework_libs_missing");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, Status::fail);
  EXPECT_NE(m->message.find("cannot load libcufile.so.0 (needed by libtorch_cuda.so)"), std::string::npos) << m->message;
  EXPECT_NE(m->message.find("libcudnn.so.9 9.1.0) would come from /usr/lib/x86_64-linux-gnu"), std::string::npos)
      << m->message;
  EXPECT_NE(m->hint.find("pip install \"cuda-toolkit[cublas,cufile]==13.2.2\" \"nvidia-cudnn-cu13==9.26.0.51\""),
            std::string::npos)
      << m->hint;
  // Nothing missing, one library from elsewhere: a warning.
  f.libs.erase(f.libs.begin());
  v = evaluate_framework(f, {}, nullptr);
  EXPECT_TRUE(has(v, "framework_lib_foreign", Status::warn));
  EXPECT_FALSE(find(v, "framework_libs_missing"));
}

TEST(FrameworkVerdicts, AnotherCopyBeforeTheWheelsOwn) {
  auto f = torch_cu132();
  f.cuda_library = kSite + "/torch/lib/libtorch_cuda.so";
  f.libs = {{"libnvJitLink.so.13", "/usr/local/cuda-13.0/lib/libnvJitLink.so.13", "ld_library_path", false,
             "libcusolver.so.12", kSite + "/nvidia/cu13/lib/libnvJitLink.so.13"}};
  const auto v = evaluate_framework(f, {}, nullptr);
  const Finding* w = find(v, "framework_lib_shadowed");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, Status::warn);
  EXPECT_NE(w->message.find("would load libnvJitLink.so.13 (for libcusolver.so.12) from /usr/local/cuda-13.0/lib (LD_LIBRARY_PATH)"),
            std::string::npos)
      << w->message;
  EXPECT_NE(w->hint.find("take /usr/local/cuda-13.0/lib off LD_LIBRARY_PATH"), std::string::npos) << w->hint;
  EXPECT_FALSE(find(v, "framework_lib_foreign"));  // it has its own copy: not a foreign one
}

TEST(FrameworkVerdicts, CpuBuildWarnsWhereThereIsADriver) {
  auto f = torch_cu132();
  f.build = FrameworkBuild::cpu;
  f.version = "2.15.0+cpu";
  f.cuda.clear();
  FrameworkHost host;
  EXPECT_TRUE(has(evaluate_framework(f, host, nullptr), "framework_cpu_build", Status::pass));
  host.driver_present = true;
  const auto v = evaluate_framework(f, host, nullptr);
  const Finding* c = find(v, "framework_cpu_build");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, Status::warn);
  EXPECT_NE(c->hint.find("torch==2.15.0"), std::string::npos) << c->hint;
}

TEST(FrameworkVerdicts, LiveAnswers) {
  FrameworkHost host;
  host.driver_present = true;
  host.driver_cuda = 13000;
  host.gpus_usable = true;
  host.gpu_ccs = {{9, 0}};
  LiveResult l;
  l.framework = "torch";
  l.outcome = LiveResult::Outcome::answered;
  l.gpu_available = true;
  l.device_count = 1;
  l.device_names = {"NVIDIA H200"};
  l.matmul_ok = true;
  EXPECT_EQ(worst(evaluate_framework(torch_cu132(), host, &l)), Status::pass);
  EXPECT_EQ(describe_framework(torch_cu132(), &l), "torch 2.15.0+cu132 (CUDA 13.2): GPU yes, 1× NVIDIA H200, matmul ok");

  l.matmul_ok = false;
  l.matmul_max_rel_error = 0.5;
  EXPECT_TRUE(has(evaluate_framework(torch_cu132(), host, &l), "framework_matmul_wrong", Status::fail));

  l = LiveResult{};
  l.outcome = LiveResult::Outcome::answered;
  l.gpu_available = false;
  l.warnings = {"CUDA initialization: The NVIDIA driver on your system is too old (found version 12020)."};
  auto v = evaluate_framework(torch_cu132(), host, &l);
  const Finding* n = find(v, "framework_no_gpu");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->status, Status::fail);  // CUDA reaches the GPU, torch does not
  EXPECT_NE(n->message.find("found version 12020"), std::string::npos);
  host.gpus_usable = false;  // no GPU for anyone: the driver check says why
  EXPECT_TRUE(has(evaluate_framework(torch_cu132(), host, &l), "framework_no_gpu", Status::warn));

  l = LiveResult{};
  l.outcome = LiveResult::Outcome::import_failed;
  l.import_error = "ImportError: libcufile.so.0: cannot open shared object file: No such file or directory";
  EXPECT_TRUE(has(evaluate_framework(torch_cu132(), host, &l), "framework_import_failed", Status::fail));
  auto broken = torch_cu132();  // the files explain it already: told once
  broken.cuda_library = kSite + "/torch/lib/libtorch_cuda.so";
  broken.libs = {{"libcufile.so.0", "", "", false, "libtorch_cuda.so", ""}};
  v = evaluate_framework(broken, host, &l);
  EXPECT_TRUE(has(v, "framework_libs_missing", Status::fail));
  EXPECT_TRUE(has(v, "framework_import_failed", Status::pass));

  l = LiveResult{};
  l.outcome = LiveResult::Outcome::timed_out;
  l.seconds = 30;
  EXPECT_TRUE(has(evaluate_framework(torch_cu132(), host, &l), "framework_live_timeout", Status::warn));
}

}  // namespace
}  // namespace gpuprobe
