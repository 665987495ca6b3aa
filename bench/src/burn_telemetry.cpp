// The burn's telemetry through NVML: the readings of gpu/nvml_telemetry.hpp for each GPU (found by
// PCI bus id) and one Xid event set for all of them.
#include <memory>
#include <mutex>

#include "gpuprobe/bench/burn.hpp"
#include "gpuprobe/gpu/nvml_telemetry.hpp"

namespace gpuprobe::bench {

namespace {

class NvmlBurnTelemetry final : public BurnTelemetry {
 public:
  NvmlBurnTelemetry(const NvmlLib& n, const std::vector<GpuInfo>& gpus) : n_(n), queries_(gpus.size()) {
    std::vector<nvmlDevice_t> devs;
    for (const auto& g : gpus) {
      const NvmlHandle h = nvml_handle_for(n_, g);
      devs.push_back(h ? *h : nullptr);
      handle_notes_.push_back(h ? "" : "no NVML handle for " + g.pci_bus_id + ": " + n_.error_string(h.code));
    }
    devs_ = devs;
    xids_ = std::make_unique<NvmlXidWatch>(n_, std::move(devs));
  }
  BurnSample sample(std::size_t i, double t) override {
    if (!devs_[i]) {
      BurnSample s;
      s.t = t;
      return s;
    }
    std::vector<NvmlQuery> qs;
    BurnSample s = nvml_burn_sample(n_, devs_[i], t, &qs);
    std::lock_guard<std::mutex> lk(m_);
    for (auto& q : qs)
      if (q.code != kNvmlSuccess) queries_[i].push_back(std::move(q));
    return s;
  }
  std::vector<std::pair<std::size_t, std::uint64_t>> wait_xids(std::chrono::milliseconds timeout) override {
    return xids_->wait(timeout);
  }
  std::string note(std::size_t i) const override {
    if (!handle_notes_[i].empty()) return handle_notes_[i];
    std::lock_guard<std::mutex> lk(m_);
    const std::string failed = nvml_failed_queries(n_, queries_[i]);
    return failed.empty() ? "" : "not read: " + failed;
  }
  std::string xid_note(std::size_t i) const override { return xids_->note(i); }

 private:
  const NvmlLib& n_;
  std::vector<nvmlDevice_t> devs_;
  std::vector<std::string> handle_notes_;
  mutable std::mutex m_;
  std::vector<std::vector<NvmlQuery>> queries_;  // the failed ones only
  std::unique_ptr<NvmlXidWatch> xids_;
};

}  // namespace

std::unique_ptr<BurnTelemetry> make_nvml_burn_telemetry(const NvmlLib& n, const std::vector<GpuInfo>& gpus) {
  if (!n.usable()) return nullptr;
  return std::make_unique<NvmlBurnTelemetry>(n, gpus);
}

}  // namespace gpuprobe::bench
