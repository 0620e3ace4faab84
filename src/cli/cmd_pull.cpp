// `ecrhelm pull`, `tags` and `show`: the consumer side, what Argo CD's repo
// server does with an OCI Helm chart in ECR (or any OCI registry).
#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <future>
#include <iostream>
#include <mutex>

#include "cli/help.h"
#include "cli/progress_line.h"
#include "cli/registry_session.h"
#include "oci/chart_archive.h"
#include "oci/reference.h"
#include "util/error.h"

namespace ecrhelm::cli {
namespace {

// `Pulled: HOST/REPO:X` names the tag pulled, as helm pull does (`_` read as
// `+`), even when the chart inside says another version; by digest, the version.
std::string pulled_as(const oci::PullResult& r) {
  return r.tag.empty() ? r.version : oci::from_tag(r.tag);
}

}  // namespace

inline constexpr size_t kMaxConcurrentPulls = 8;

Command add_pull(CLI::App& app, GlobalFlags& g) {
  struct Opts {
    std::vector<std::string> refs;
    RegistryFlags reg;
    oci::PullOptions pull;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("pull", "download a chart from an OCI registry (like helm pull)");
  sub->add_option("ref", o->refs, "oci://HOST/REPO/CHART[:TAG][@sha256:DIGEST] (several allowed)")
      ->required();
  sub->add_option("--version", o->pull.version,
                  "exact version or constraint (e.g. '^1.2', '>=1 <2')");
  sub->add_option("-d,--destination", o->pull.dest_dir, "folder to write into (default .)");
  sub->add_flag("--untar", o->pull.untar, "extract the chart instead of keeping the .tgz");
  sub->add_option("--untardir", o->pull.untar_dir,
                  "with --untar: folder to extract into (default .)");
  sub->add_flag("--prov", o->pull.prov, "also fetch the provenance file");
  sub->add_flag("-q,--quiet", o->quiet,
                "no progress on stderr (shown only when stderr is a terminal)");
  add_registry_flags(sub, o->reg);
  set_examples(
      sub,
      {{"ecrhelm pull oci://123456789012.dkr.ecr.us-west-2.amazonaws.com/charts/demo --version "
        "'^1.2'",
        "highest 1.x"},
       {"ecrhelm pull 123456789012.dkr.ecr.us-west-2.amazonaws.com/charts --chart demo --version "
        "1.2.3 --untar",
        "Argo CD's form"},
       {"ecrhelm pull oci://localhost:5000/charts/demo:0.1.0 --plain-http -d /tmp/charts", ""}});
  return {sub, [&g, o]() {
            return run_registry_command([&] {
              Runtime rt(g);
              RegistrySession session(rt, o->reg);
              std::vector<oci::Reference> refs;
              for (const auto& r : o->refs) refs.push_back(parse_chart_ref(r, o->reg));
              bool tty = !o->quiet && ::isatty(2);
              if (refs.size() == 1) {
                // One chart: a progress line for its layer (on a terminal only).
                const auto& ref = refs[0];
                std::string label = ref.repository.substr(ref.repository.rfind('/') + 1);
                if (!ref.tag.empty()) label += ":" + oci::from_tag(ref.tag);
                ProgressLine line(label, !o->quiet);
                oci::PullOptions opts = o->pull;
                if (line.active())
                  opts.progress = [&line](uint64_t done, uint64_t total) {
                    line.update(done, total);
                  };
                auto r = session.puller().pull(refs[0], opts);
                std::cout << fmt::format("Pulled: {}/{}:{}\nDigest: {}\n", refs[0].registry,
                                         refs[0].repository, pulled_as(r), r.digest);
                return 0;
              }
              // Several charts: fetched concurrently over the shared connection pool.
              std::mutex out_mu;
              std::vector<std::future<void>> jobs;
              std::vector<std::string> errors;
              size_t done = 0;
              for (size_t i = 0; i < refs.size(); ++i) {
                if (jobs.size() >= kMaxConcurrentPulls) {
                  jobs.front().wait();
                  jobs.erase(jobs.begin());
                }
                jobs.push_back(std::async(std::launch::async, [&, i] {
                  try {
                    auto r = session.puller().pull(refs[i], o->pull);
                    std::lock_guard lock(out_mu);
                    std::cout << fmt::format("Pulled: {}/{}:{}\nDigest: {}\n", refs[i].registry,
                                             refs[i].repository, pulled_as(r), r.digest);
                    ++done;
                    if (tty)
                      std::cerr << fmt::format("\r{}/{} charts", done, refs.size()) << std::flush;
                  } catch (const http::TlsVerifyError& e) {
                    std::lock_guard lock(out_mu);
                    errors.push_back(tls_hint(e).what());
                  } catch (const std::exception& e) {
                    std::lock_guard lock(out_mu);
                    errors.push_back(e.what());
                  }
                }));
              }
              for (auto& j : jobs) j.wait();
              if (tty) std::cerr << "\n";
              for (const auto& e : errors) std::cerr << "ecrhelm: " << e << "\n";
              return errors.empty() ? 0 : 1;
            });
          }};
}

Command add_tags(CLI::App& app, GlobalFlags& g) {
  struct Opts {
    std::string ref;
    std::string output = "text";
    RegistryFlags reg;
  };
  auto o = std::make_shared<Opts>();
  auto* sub =
      app.add_subcommand("tags", "list a chart's versions (highest first), then other tags");
  sub->add_option("ref", o->ref, "oci://HOST/REPO/CHART")->required();
  sub->add_option("-o,--output", o->output, "text or json")
      ->check(output_formats({"text", "json"}));
  add_registry_flags(sub, o->reg);
  set_examples(sub,
               {{"ecrhelm tags oci://123456789012.dkr.ecr.us-west-2.amazonaws.com/charts/demo", ""},
                {"ecrhelm tags oci://localhost:5000/charts/demo --plain-http -o json", ""}});
  return {sub, [&g, o]() {
            return run_registry_command([&] {
              Runtime rt(g);
              RegistrySession session(rt, o->reg);
              auto versions = session.puller().versions(parse_chart_ref(o->ref, o->reg));
              if (o->output == "json") {
                std::cout << nlohmann::json(versions).dump(2) << "\n";
              } else {
                for (const auto& v : versions) std::cout << v << "\n";
              }
              return 0;
            });
          }};
}

Command add_show(CLI::App& app, GlobalFlags& g) {
  struct Opts {
    std::string what;
    std::string ref;
    std::string version;
    RegistryFlags reg;
  };
  auto o = std::make_shared<Opts>();
  auto* sub =
      app.add_subcommand("show", "print a chart's Chart.yaml or values.yaml (nothing written)");
  sub->add_option("what", o->what, "chart or values")
      ->required()
      ->check(CLI::IsMember({"chart", "values"}));
  sub->add_option("ref", o->ref, "oci://HOST/REPO/CHART[:TAG]")->required();
  sub->add_option("--version", o->version, "exact version or constraint");
  add_registry_flags(sub, o->reg);
  set_examples(
      sub,
      {{"ecrhelm show chart oci://123456789012.dkr.ecr.us-west-2.amazonaws.com/charts/demo "
        "--version '~1.2'",
        ""},
       {"ecrhelm show values oci://123456789012.dkr.ecr.us-west-2.amazonaws.com/charts/demo:1.2.3",
        ""}});
  return {sub, [&g, o]() {
            return run_registry_command([&] {
              Runtime rt(g);
              RegistrySession session(rt, o->reg);
              auto chart = session.puller().resolve(parse_chart_ref(o->ref, o->reg), o->version);
              std::string tgz = session.puller().fetch_chart_bytes(chart);
              std::string file = o->what == "chart" ? "Chart.yaml" : "values.yaml";
              auto content = oci::read_chart_file(tgz, file);
              if (!content) {
                if (o->what == "values") return 0;  // helm show values prints nothing
                throw ecrhelm::Error(ErrorKind::kInvalidInput, "the chart has no Chart.yaml");
              }
              // As helm show (fmt.Fprintln / "%s\n"): the file, then one more newline.
              std::cout << *content << "\n";
              return 0;
            });
          }};
}

}  // namespace ecrhelm::cli
