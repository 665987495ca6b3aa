#include "outputs.hpp"

#include <CLI/CLI.hpp>

namespace gpuprobe::cli {

void add_output_options(CLI::App& sub, Document doc, OutputOptions& o, const std::string& stdout_note,
                        bool bare_is_stdout) {
  o.bare_is_stdout = bare_is_stdout;
  for (const Format* f : formats_for(doc)) {
    const std::string name(f->name);
    const std::string help = "Write " + std::string(f->description) + " to FILE ('-'" +
                             (bare_is_stdout ? " or no FILE" : "") + ": stdout" + stdout_note + ")";
    CLI::Option* opt = sub.add_option("--" + name, o.paths[name], help)->type_name("FILE");
    if (bare_is_stdout) opt->expected(0, 1);
    o.options[name] = opt;
  }
}

bool output_given(const OutputOptions& o, std::string_view name) {
  const auto opt = o.options.find(name);
  return opt != o.options.end() && opt->second->count() > 0;
}

SinkMultiplex open_outputs(const OutputOptions& o, Document doc) {
  SinkMultiplex m;
  for (const Format* f : formats_for(doc)) {
    const auto p = o.paths.find(f->name);
    if (p != o.paths.end() && !p->second.empty()) m.add(*f, p->second);
    else if (o.bare_is_stdout && output_given(o, f->name)) m.add(*f, "-");
  }
  return m;
}

std::string outputs_usage_error(const SinkMultiplex& m) {
  const auto out = m.to_stdout();
  if (out.size() < 2) return "";
  std::string names;
  for (std::size_t i = 0; i < out.size(); ++i)
    names += (i == 0 ? "" : i + 1 == out.size() ? " and " : ", ") + ("--" + std::string(out[i]->format->name) + " -");
  return names + (out.size() == 2 ? " cannot both write to stdout" : " cannot all write to stdout");
}

std::string output_options_text(Document doc) {
  std::string text;
  for (const Format* f : formats_for(doc))
    text += (text.empty() ? "--" : " and/or --") + std::string(f->name) + " FILE";
  return text;
}

}  // namespace gpuprobe::cli
